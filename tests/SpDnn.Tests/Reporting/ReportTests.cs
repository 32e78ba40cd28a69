using SpDnn.Cli;
using SpDnn.Cli.Commands;
using SpDnn.Cli.Reporting;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Reporting;

public sealed class ReportTests
{
    private static string Sample => Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Reporting", "sample-record.json");


    [Fact]
    public void RendersTablesAndValidPngPlotsFromAStoredRecord()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliHost.Run("report", Sample, "--out", dir.Path, "--network", "1024x120").ExitCode);

        string md = File.ReadAllText(dir.File("sample-record.md"));
        // 1200·32·1024·120 / 0.125 s; upload + inference 0.0625 + 0.125 s; the cold path 1.5 s.
        Assert.Contains("| 1024 x 120 | cpu | 1200 | 0.500 | 0.250 | 0.0625 | 0.125 | 0.12 - 0.13 | 3 | 0.1875 | 1.5 | 0.038 | - | 19 | PASSED |", md);
        // A record made before uploads were recorded: no upload, end-to-end or answer.
        Assert.Contains("| 4096 x 120 | cpu | 60000 | 1.500 | 0.750 | - | 3 | - | 1 | - | - | 0.315 | 0.01x | 1801 | FAILED |", md);
        // The cold path split; other = 1.5 - 0.5 - 0.25 - 0.0625 - 0.125.
        Assert.Contains("| 1024 x 120 | cpu | 1.500 | 0.500 | 0.250 | 0.062 | 0.125 | 0.562 |", md);
        Assert.Contains(ReportTables.TimingNote, md);
        Assert.Contains("commit `abc1234`", md);
        string csv = File.ReadAllText(dir.File("sample-record.csv"));
        Assert.Equal(4, csv.Trim().Split('\n').Length);
        Assert.EndsWith(",upload_s,end_to_end_s,answer_s,answer_plan_s", csv.Split('\n')[0].Trim());
        Assert.Contains(",0.0625,0.1875,1.5,0.25", csv);

        foreach (var png in new[] { "sample-record-teps.png", "sample-record-cpu-1024x120-layers.png", "sample-record-cpu-1024x120-convergence.png",
                                    "sample-record-reference-1024x120-layers.png" })
        {
            var (width, height) = PngSize(dir.File(png));
            Assert.Equal((1000, 600), (width, height));
            Assert.True(new FileInfo(dir.File(png)).Length > 5000, $"{png} looks empty");
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void PlotsUseTheFontShippedInTheTool()
    {
        SpDnn.Cli.Reporting.PlotFonts.Ensure();
        Assert.Equal(SpDnn.Cli.Reporting.PlotFonts.Family, ScottPlot.Fonts.Default);
        foreach (bool bold in new[] { false, true })
        {
            // Resolved from the shipped file, not from whatever the machine has installed.
            var typeface = ScottPlot.Fonts.FontResolvers.Select(r => r.CreateTypeface(SpDnn.Cli.Reporting.PlotFonts.Family, bold, false)).FirstOrDefault(t => t is not null);
            Assert.NotNull(typeface);
            Assert.Equal("DejaVu Sans", typeface!.FamilyName);
        }
    }

    [Fact]
    public void ComparesTwoRecordsWithRatios()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliHost.Run("report", Sample, Sample, "--compare", "--out", dir.Path).ExitCode);
        string md = File.ReadAllText(dir.File("comparison.md"));
        Assert.Contains("| 1024 x 120 | reference | 2.5 (1 run) | 2.5 (1 run) | 0.002 | 0.002 | 1.00x | unknown (1 run) |", md);
        Assert.Contains("| 1024 x 120 | cpu | 0.125 (0.12 - 0.13, 3) | 0.125 (0.12 - 0.13, 3) | 0.038 | 0.038 | 1.00x | within the noise |", md);
    }

    [Fact]
    public void SpreadInTheRecordAndNoiseMarks()
    {
        var record = SpDnn.Cli.Reporting.BenchmarkRecord.Load(Sample);
        var cpu = record.Runs.First(r => r.Engine == "cpu" && r.Neurons == 1024);
        Assert.Equal((3, 0.12, 0.13), (cpu.Repeats, cpu.InferenceMinSeconds, cpu.InferenceMaxSeconds));
        string json = record.ToJson();
        Assert.Contains("\"repeats\": 3", json);
        Assert.Contains("\"inferenceMinSeconds\": 0.12", json);
        Assert.Contains("\"inferenceMaxSeconds\": 0.13", json);
        var faster = cpu with { InferenceSeconds = 0.06, InferenceSamples = [0.061, 0.06, 0.059] };
        Assert.Equal("beyond the noise", SpDnn.Cli.Reporting.ReportTables.Noise(cpu, faster));
        Assert.Equal("within the noise", SpDnn.Cli.Reporting.ReportTables.Noise(cpu, cpu with { InferenceSamples = [0.129, 0.135, 0.14] }));
    }

    [Fact]
    public void TheSeedCodeBaselineIsTheCommittedRecord()
    {
        string csv = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "bench", "results", "seed-code-h200", "seed-code-h200.csv"));
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).Where(f => f[3] == "A").ToArray();
        Assert.Equal(12, rows.Length);
        foreach (var f in rows)
            Assert.Equal(double.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture),
                SpDnn.Cli.Reporting.SeedCodeBaseline.InferenceSeconds(int.Parse(f[0]), int.Parse(f[1])));
        Assert.Null(SpDnn.Cli.Reporting.SeedCodeBaseline.InferenceSeconds(1024, 7));
        Assert.Equal(22.33, SpDnn.Cli.Reporting.ReferenceFigures.SeedCodeTeraEdges(1024, 120)!.Value, 2);
    }

    [Fact]
    public void FileNamesArePortable()
    {
        Assert.Equal("bench-gpu-weights-streamed-1024x120", SpDnn.Cli.Reporting.PortableFileName.Of("bench-gpu:weights=streamed-1024x120"));
        Assert.Equal("a-b.c_d", SpDnn.Cli.Reporting.PortableFileName.Of("a /b.c_d"));
        Assert.Equal("unnamed", SpDnn.Cli.Reporting.PortableFileName.Of("::"));
    }

    [Fact]
    public void ABrokenRecordIsBadInput()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), "{\n \"schema\": \"spdnn-bench/1\",\n \"date\": 12,\n}");
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("report", dir.File("bad.json"), "--out", dir.File("out")).ExitCode);
        Assert.False(Directory.Exists(dir.File("out")) && Directory.EnumerateFileSystemEntries(dir.File("out")).Any());
    }

    /// <summary>Reads a PNG's signature and IHDR to prove it is a real image.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} is not a PNG");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int w = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        int h = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        return (w, h);
    }
}
