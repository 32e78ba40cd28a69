using SpDnn.Cli;
using SpDnn.Cli.Commands;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Distributed;

public sealed class ScalingCommandTests
{
    private static string Sample => Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Reporting", "sample-record.json");


    [Fact]
    public void PrintsThePredictionTableFromARecord()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliHost.Run("scaling", Sample, "--gpus", "1,2,768", "--rebalance-after", "30", "--out", dir.File("scaling.md"));
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
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("scaling", Sample, "--gpus", "0").ExitCode);
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("scaling", Sample, "--gpus", "2,x").ExitCode);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), "{ not json");
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("scaling", dir.File("bad.json")).ExitCode);
    }
}
