using SpDnn.Cli;
using SpDnn.Cli.Commands;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Distributed;

public sealed class ScalingCommandTests
{
    private static string Sample => Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Reporting", "sample-record.json");

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var root = new System.CommandLine.RootCommand();
        foreach (var c in CommandCatalog.All()) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliRunner.Invoke(root, args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void PrintsThePredictionTableFromARecord()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = Run("scaling", Sample, "--gpus", "1,2,768", "--rebalance-after", "30", "--out", dir.File("scaling.md"));
        Assert.True(code == CliRunner.ExitOk, error);
        Assert.Contains("**1024 x 120**, cpu, 1200 images", output);
        Assert.Contains("re-balanced after 30", output);
        Assert.Contains("| 1 | ", output);
        Assert.Contains("| 768 | ", output);
        Assert.Contains("up to 180 TE/s", output);
        Assert.Contains("Missing:", output);
        Assert.Equal(output, File.ReadAllText(dir.File("scaling.md")));
    }

    [Fact]
    public void RejectsBadGpuCountsAndBadRecords()
    {
        Assert.Equal(CliRunner.ExitError, Run("scaling", Sample, "--gpus", "0").Code);
        Assert.Equal(CliRunner.ExitError, Run("scaling", Sample, "--gpus", "2,x").Code);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), "{ not json");
        Assert.Equal(CliRunner.ExitBadInput, Run("scaling", dir.File("bad.json")).Code);
    }
}
