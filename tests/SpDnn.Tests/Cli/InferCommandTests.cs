using System.Globalization;
using System.Text.Json;
using SpDnn.Formats;

namespace SpDnn.Tests.Cli;

public class InferCommandTests(CliFixture data) : IClassFixture<CliFixture>
{
    private string[] Args(params string[] extra) =>
        ["infer", "--network", data.NetworkPath, "--images", data.ImagesPath, "--bias", CliFixture.Bias.ToString(CultureInfo.InvariantCulture), .. extra];

    [Fact]
    public void TheDataExercisesBothOutcomes()
    {
        Assert.InRange(data.Expected.Categories.Length, 1, data.Images.Count - 1);
    }

    [Fact]
    public void PassesAgainstTheReferenceTruth()
    {
        var run = CliHost.Run(Args("--truth", data.TruthPath, "--engine", "reference"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("challenge PASSED", run.Output);
        Assert.Contains($"categories  {data.Expected.Categories.Length}", run.Output);
        Assert.Contains("TE/s", run.Output);
        Assert.Contains("live images", run.Output);
        Assert.Matches(@"upload      \d+\.\d{3} s", run.Output);
        Assert.Matches(@"end-to-end  \d+\.\d{3} s \(upload \+ inference\)", run.Output);
        Assert.Matches(@"answer      \d+\.\d{3} s: load \d+\.\d{3}, plan \d+\.\d{3} \(exposed\), upload \d+\.\d{3}, inference \d+\.\d{3}, other", run.Output);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public void FailsWithExitCodeOneAgainstAWrongTruth()
    {
        var wrong = data.NewOutput("wrong.tsv");
        CategoriesFile.Write(wrong, data.Expected.Categories[1..]);
        var run = CliHost.Run(Args("--truth", wrong));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("challenge FAILED", run.Output);
    }

    [Fact]
    public void JsonIsOneRecordWithTheFields()
    {
        var truth = data.NewOutput("truth4.tsv");
        var expected = SpDnn.Tests.Engines.EngineConformanceTests.RunReference(data.Network.Take(4), data.Images);
        CategoriesFile.Write(truth, expected.Categories);
        var run = CliHost.Run(Args("--truth", truth, "--json", "--layers", "4"));
        Assert.Equal(0, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        using var json = JsonDocument.Parse(lines[0]);
        var root = json.RootElement;
        // auto: the best engine available here.
        Assert.Equal(SpDnn.Engines.EngineFactory.All.First(e => e.IsAvailable()).Name, root.GetProperty("engine").GetString());
        Assert.Equal(CliFixture.Neurons, root.GetProperty("neurons").GetInt32());
        Assert.Equal(4, root.GetProperty("layers").GetInt32());
        Assert.Equal(data.Images.Count, root.GetProperty("images").GetInt32());
        long weights = Enumerable.Range(0, 4).Sum(k => data.Network.GetLayer(k).Weights.NonZeros);
        Assert.Equal((double)weights * data.Images.Count, root.GetProperty("edges").GetDouble());
        foreach (var name in new[] { "inferenceSeconds", "planningSeconds", "loadSeconds", "uploadSeconds", "teraEdgesPerSecond" })
            Assert.True(root.GetProperty(name).GetDouble() >= 0, name);
        Assert.Equal(root.GetProperty("uploadSeconds").GetDouble() + root.GetProperty("inferenceSeconds").GetDouble(),
            root.GetProperty("endToEndSeconds").GetDouble(), tolerance: 1e-9);
        // The time to answer: every part counted once, the parts within the whole.
        var answer = root.GetProperty("timeToAnswer");
        double total = answer.GetProperty("totalSeconds").GetDouble();
        double parts = 0;
        foreach (var name in new[] { "loadSeconds", "planSeconds", "uploadSeconds", "inferenceSeconds", "otherSeconds" })
        {
            double part = answer.GetProperty(name).GetDouble();
            Assert.True(part >= 0, name);
            parts += part;
        }
        // A tolerance, not rounding to 6 places: two sums a hair apart can round to different sides.
        Assert.Equal(total, parts, tolerance: 1e-6);
        Assert.True(answer.GetProperty("loadSeconds").GetDouble() >= root.GetProperty("loadSeconds").GetDouble());
        Assert.Equal(root.GetProperty("uploadSeconds").GetDouble(), answer.GetProperty("uploadSeconds").GetDouble());
        Assert.Equal(4, root.GetProperty("liveImagesPerLayer").GetArrayLength());
        Assert.Equal(expected.Categories.Length, root.GetProperty("categories").GetInt32());
        Assert.True(root.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void JsonWithoutTruthOmitsPassed()
    {
        var run = CliHost.Run(Args("--json"));
        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.False(json.RootElement.TryGetProperty("passed", out _));
        Assert.Equal(data.Expected.Categories.Length, json.RootElement.GetProperty("categories").GetInt32());
        Assert.Equal(data.Expected.LayerStatistics.Select(s => s.LiveImages),
            json.RootElement.GetProperty("liveImagesPerLayer").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void WritesTheCategoriesFile()
    {
        var output = data.NewOutput("categories.tsv");
        var run = CliHost.Run(Args("--categories-out", output));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(File.ReadAllBytes(data.TruthPath), File.ReadAllBytes(output));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public void AcceptsEveryNetworkFormat()
    {
        foreach (var (name, format) in new[] { ("neuron64.tar.gz", StorageFormat.TarGz), ("net.bin", StorageFormat.Binary) })
        {
            var path = data.NewOutput(name);
            NetworkWriter.Write(data.Network, path, format);
            var run = CliHost.Run(["infer", "--network", path, "--images", data.ImagesPath, "--bias", "-0.5", "--truth", data.TruthPath]);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("challenge PASSED", run.Output);
        }
    }

    [Fact]
    public void BadImagesGiveExitTwoOneLineAndNoOutputFile()
    {
        var images = data.NewOutput("sparse-images-64.tsv");
        File.WriteAllText(images, "1\t3\t1\n2\t70\t1\n");
        var output = data.NewOutput("categories.tsv");
        var run = CliHost.Run(["infer", "--network", data.NetworkPath, "--images", images, "--bias", "-0.5", "--categories-out", output]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: {images}:2: column index 70 outside 1..64", run.Error.Trim());
        Assert.Equal("", run.Output);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public void BadLayerAndBadTruthGiveExitTwo()
    {
        var folder = Path.GetDirectoryName(data.NewOutput("x"))!;
        NetworkWriter.Write(data.Network, Path.Combine(folder, "net"), StorageFormat.Tsv);
        var layer = Path.Combine(folder, "net", "n64-l2.tsv");
        var lines = File.ReadAllLines(layer);
        lines[4] = "1\t2\tNaN";
        File.WriteAllLines(layer, lines);
        var run = CliHost.Run(["infer", "--network", Path.Combine(folder, "net"), "--images", data.ImagesPath, "--bias", "0"]);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: {layer}:5: ", run.Error);
        Assert.Contains("not a finite number", run.Error);

        var truth = data.NewOutput("truth.tsv");
        File.WriteAllText(truth, "5\n4\n");
        run = CliHost.Run(Args("--truth", truth));
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: {truth}:2: ", run.Error);
    }

    [Fact]
    public void MissingOptionsAndUnknownEnginesAreReported()
    {
        var run = CliHost.Run("infer", "--images", data.ImagesPath);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--network", run.Error);
        run = CliHost.Run(Args("--layers", "0"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--layers takes a whole number from 1 to", run.Error);
        run = CliHost.Run(Args("--threads", "-2"));
        Assert.Equal(2, run.ExitCode);
        run = CliHost.Run(Args("--layers", "99"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("missing layer file", run.Error);
        run = CliHost.Run(Args("--engine", "nonesuch"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown engine", run.Error);
        run = CliHost.Run(["infer", "--network", data.NetworkPath, "--images", Path.Combine(data.Folder, "absent.tsv"), "--bias", "0"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("absent.tsv", run.Error);
    }
}
