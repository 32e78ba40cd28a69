using SpDnn.Cli;
using SpDnn.Cli.Bench;
using SpDnn.Cli.Reporting;
using SpDnn.Engines.Gpu;
using SpDnn.Formats;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Bench;

public sealed class GeneralFamilyBenchTests
{
    // Small: 3 layers of the N = 1024 general network on the first 200 official images (the subset file).
    private static string[] Bench(TempDirectory dir, string engines, string name, params string[] more) =>
        ["bench", "--family", "general", "--neurons", "1024", "--layers", "3", "--engine", engines, "--repeat", "1",
         "--images", "200", "--images-file", TestData.Official("sparse-images-1024_subset.mtx"),
         "--truth-dir", dir.File("truth"), "--out", dir.File("out"), "--name", name, .. more];

    [Fact]
    public void WritesTheTruthOfTheFirstImagesThenChecksEveryEngineAgainstIt()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliHost.Run(Bench(dir, "cpu,reference", "write", "--truth-images", "100", "--write-truth", dir.File("truth")));
        Assert.True(code == 0, error + output);
        Assert.Equal(Enumerable.Range(1, 100), CategoriesFile.Read(dir.File("truth/general-n1024-l3-categories-first100.tsv")));
        Assert.Matches("^[0-9a-f]{64}\n$", File.ReadAllText(dir.File("truth/general-n1024-l3-final-rows-first100.sha256")));

        var written = BenchmarkRecord.Load(dir.File("out/write.json"));
        Assert.All(written.Runs, r => Assert.Equal(BenchmarkRun.GeneralFamily, r.Family));
        Assert.Null(written.Runs.Single(r => r.Engine == "cpu").Passed);      // it wrote the truth
        Assert.True(written.Runs.Single(r => r.Engine == "reference").Passed); // checked against the cpu engine's final rows

        (code, output, error) = CliHost.Run(Bench(dir, "cpu,reference", "check"));
        Assert.True(code == 0, error + output);
        var record = BenchmarkRecord.Load(dir.File("out/check.json"));
        foreach (var run in record.Runs)
        {
            Assert.True(run.Passed, run.Engine);
            Assert.Equal(200.0 * 32 * 1024 * 3, run.Edges);
            Assert.Equal([200, 200, 200], run.LayerPoints.Select(p => p.LiveImages)); // no image dies on this family
            Assert.Contains("first 100 images: categories and final rows", run.Details!["truth"]);
        }
        var markdown = File.ReadAllText(dir.File("out/check.md"));
        Assert.Contains("| general 1024 x 3 | cpu | 200 |", markdown);
        Assert.Contains("issue 14", markdown);
    }

    [Fact]
    public void TheCpuEngineReproducesTheCommittedTruthOfTheFirst1000Images()
    {
        // bench/truth holds the 120-layer N = 1024 truth of the first 1000 images, which the official
        // subset file carries: generator bits, engine and digest checked end to end from the repository alone.
        using var dir = new TempDirectory();
        var (code, output, error) = CliHost.Run("bench", "--family", "general", "--neurons", "1024", "--layers", "120", "--engine", "cpu",
            "--repeat", "1", "--images", "1000", "--images-file", TestData.Official("sparse-images-1024_subset.mtx"),
            "--truth-dir", Path.Combine(TestData.RepositoryRoot, "bench", "truth"), "--out", dir.Path, "--name", "committed");
        Assert.True(code == 0, error + output);
        var run = BenchmarkRecord.Load(dir.File("committed.json")).Runs.Single();
        Assert.True(run.Passed);
        Assert.Contains("general-n1024-l120-categories-first1000.tsv", run.Details!["truth"]);
        Assert.Contains("final rows", run.Details!["truth"]);
    }

    [Fact]
    public void AWrongFinalRowsDigestFailsEvenWhenTheCategoriesAgree()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliHost.Run(Bench(dir, "cpu", "write", "--truth-images", "50", "--write-truth", dir.File("truth"))).ExitCode);
        var digestPath = dir.File("truth/general-n1024-l3-final-rows-first50.sha256");
        var digest = File.ReadAllText(digestPath);
        File.WriteAllText(digestPath, (digest[0] == '0' ? "1" : "0") + digest[1..]);

        var (code, output, _) = CliHost.Run(Bench(dir, "cpu", "wrong"));
        Assert.Equal(CliRunner.ExitFailedCheck, code);
        Assert.Contains("FAILED", output);
    }

    [Fact]
    public void ADigestFileThatIsNotADigestIsBadInput()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("truth"));
        CategoriesFile.Write(dir.File("truth/general-n1024-l3-categories-first10.tsv"), Enumerable.Range(1, 10).ToArray());
        File.WriteAllText(dir.File("truth/general-n1024-l3-final-rows-first10.sha256"), "not a digest\n");

        var (code, _, error) = CliHost.Run(Bench(dir, "cpu", "bad"));
        Assert.Equal(CliRunner.ExitBadInput, code);
        Assert.Contains("general-n1024-l3-final-rows-first10.sha256", error);
        Assert.False(File.Exists(dir.File("out/bad.json")));
    }

    [Fact]
    public void AnUnknownFamilyIsAUsageError()
    {
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("bench", "--family", "radix").ExitCode);
    }

    [Fact]
    public void TruthLookupTakesTheLargestFileWithinTheRunElseCutsTheSmallest()
    {
        using var dir = new TempDirectory();
        CategoriesFile.Write(dir.File("general-n64-l2-categories-first10.tsv"), [1, 5, 10]);
        CategoriesFile.Write(dir.File("general-n64-l2-categories-first20.tsv"), [1, 5, 10, 15, 20]);
        File.WriteAllText(dir.File("general-n64-l2-final-rows-first20.sha256"), new string('a', 64) + "\n");
        CategoriesFile.Write(dir.File("neuron64-l2-categories.tsv"), [2]); // the challenge's name: ignored

        var within = GeneralTruth.Find([dir.Path], 64, 2, images: 25)!;
        Assert.Equal((20, new string('a', 64)), (within.Images, within.FinalRowsDigest));
        Assert.Equal([1, 5, 10, 15, 20], within.Categories);

        var onlyFirst10 = GeneralTruth.Find([dir.Path], 64, 2, images: 15)!;
        Assert.Equal((10, (string?)null), (onlyFirst10.Images, onlyFirst10.FinalRowsDigest));

        var cut = GeneralTruth.Find([dir.Path], 64, 2, images: 7)!;
        Assert.Equal((7, (string?)null), (cut.Images, cut.FinalRowsDigest));
        Assert.Equal([1, 5], cut.Categories);

        Assert.Null(GeneralTruth.Find([dir.Path], 64, 3, images: 25));
    }

    [Fact]
    public void TheSeedCodeBaselineIsReadFromTheCommittedFile()
    {
        Assert.Equal(0.1413, GeneralFamilyBaseline.SeedCodeSeconds(1024, 120));
        Assert.Equal(0.835, GeneralFamilyBaseline.SeedCodeSeconds(4096, 120));
        Assert.Equal(4.935, GeneralFamilyBaseline.SeedCodeSeconds(16384, 120));
        Assert.Null(GeneralFamilyBaseline.SeedCodeSeconds(65536, 120));
        Assert.Contains("issue 14", GeneralFamilyBaseline.Provenance);

        // The shipped file is the one the tool embeds.
        var shipped = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "bench", "baselines", GeneralFamilyBaseline.FileName));
        Assert.Contains("\"seedCodeSeconds\": 0.1413", shipped);
    }

    [Fact]
    public void GeneralLayersAreReportedAgainstTheCopyCeilingMeasuredInTheSameRun()
    {
        BenchmarkRun Run(string engine, string? family) => GpuRun(family, 16384, 3.0) with { Engine = engine };
        var record = Record([Run("gpu", BenchmarkRun.GeneralFamily), Run("cpu", BenchmarkRun.GeneralFamily), Run("gpu", null)]) with
        {
            CopyCeiling = new DeviceCopyCeiling("H200", 1L << 30, 10, 2.0 * (1L << 30) / 4.3e12),
        };
        var markdown = ReportTables.Markdown(record);
        // 25 ms a layer; 2 x 60000 x 16384 x 4 B = 7.864 GB of features in and out: 0.315 TB/s, 7.3% of 4.3 TB/s.
        Assert.Contains("copy ceiling: 4.30 TB/s read + written (1024 MiB copied device to device on H200, fastest of 10", markdown);
        Assert.Contains("| general 16384 x 120 | gpu | 25 | 7.864 | 0.315 | 7.3% |", markdown);
        Assert.DoesNotContain("| general 16384 x 120 | cpu | 25 |", markdown); // a GPU yardstick: GPU runs only
        Assert.DoesNotContain("| 16384 x 120 | gpu | 25 |", markdown);          // the challenge's layers converge: not full width

        var again = BenchmarkRecord.FromJson(record.ToJson(), "record.json");
        Assert.Equal(record.CopyCeiling, again.CopyCeiling);
        Assert.DoesNotContain("copy ceiling", ReportTables.Markdown(record with { CopyCeiling = null }));
    }

    [Fact]
    public void TheSeedCodeRatioUsesTheFamilysBaseline()
    {
        BenchmarkRun Run(string? family) => GpuRun(family, 1024, 0.0942);
        var record = Record([Run(BenchmarkRun.GeneralFamily)]);
        Assert.Contains("| general 1024 x 120 | gpu | 60000 |", ReportTables.Markdown(record));
        Assert.Contains("| 1.50x |", ReportTables.Markdown(record));                 // 0.1413 s / 0.0942 s
        Assert.Contains("| 0.11x |", ReportTables.Markdown(record with { Runs = [Run(null)] })); // the challenge's 0.0106 s
    }

    /// <summary>A GPU run of the 120-layer network of N = <paramref name="neurons"/> on the 60000 images.</summary>
    private static BenchmarkRun GpuRun(string? family, int neurons, double seconds) => new()
    {
        Engine = "gpu",
        Family = family,
        Neurons = neurons,
        Layers = 120,
        Images = 60000,
        Edges = 60000.0 * 32 * neurons * 120,
        InferenceSeconds = seconds,
        Categories = 60000,
    };

    private static BenchmarkRecord Record(IReadOnlyList<BenchmarkRun> runs) => new()
    {
        Date = DateTimeOffset.UnixEpoch,
        Commit = "test",
        Machine = new MachineInfo("host", "os", "cpu", 1, 1, null),
        Runs = runs,
    };
}
