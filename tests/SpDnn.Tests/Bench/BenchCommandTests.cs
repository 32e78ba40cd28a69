using SpDnn.Cli;
using SpDnn.Cli.Commands;
using SpDnn.Cli.Reporting;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Bench;

public sealed class BenchCommandTests
{

    [Fact]
    public void BenchmarksEnginesOnTheOfficialSubsetAndChecksTheTruth()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliHost.Run("bench", "--neurons", "1024", "--layers", "120", "--engine", "cpu,reference", "--repeat", "2",
            "--images-file", TestData.Official("sparse-images-1024_subset.mtx"), "--truth-dir", TestData.OfficialFolder,
            "--out", dir.Path, "--name", "subset");
        Assert.True(code == 0, error + output);

        var record = BenchmarkRecord.Load(dir.File("subset.json"));
        Assert.Equal(2, record.Runs.Count);
        foreach (var run in record.Runs)
        {
            Assert.Equal(1200, run.Images);
            Assert.Equal(19, run.Categories);                 // the official truth restricted to images 1..1200
            Assert.True(run.Passed);
            Assert.Equal(2, run.InferenceSamples.Count);
            Assert.Equal(1200.0 * 32 * 1024 * 120, run.Edges);
            Assert.Equal(120, run.LayerPoints.Count);
            // Official live counts; from layer 4 on, float32 summation order may move an image sitting
            // on the threshold (challenge-spec.md, "Rounding"), so only the first three are pinned.
            Assert.Equal([1098, 786, 415], run.LayerPoints.Take(3).Select(p => p.LiveImages));
            Assert.Equal(19, run.LayerPoints[^1].LiveImages);
            Assert.True(run.UploadSeconds > 0);
            Assert.Equal(run.UploadSeconds + run.InferenceSeconds, run.EndToEndSeconds);
            var answer = run.TimeToAnswer!;
            Assert.Equal(run.LoadSeconds, answer.LoadSeconds);
            Assert.True(answer.PlanSeconds > 0 && answer.InferenceSeconds > 0 && answer.UploadSeconds > 0);
            Assert.True(answer.TotalSeconds >= answer.LoadSeconds + answer.PlanSeconds + answer.UploadSeconds + answer.InferenceSeconds - 1e-9);
        }
        // The CPU engine collapses identical rows: all 19 survivors end as one row.
        Assert.Equal(1, record.Runs.Single(r => r.Engine == "cpu").LayerPoints[^1].DistinctRows);
        Assert.Contains("| 1024 x 120 | cpu | 1200 |", File.ReadAllText(dir.File("subset.md")));
        Assert.True(File.Exists(dir.File("subset-teps.png")));
    }

    [Fact]
    public void AWrongTruthFailsWithExitCodeOne()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("neuron1024-l2-categories.tsv"), "1\n2\n3\n");
        var (code, output, _) = CliHost.Run("bench", "--neurons", "1024", "--layers", "2", "--engine", "reference", "--repeat", "1",
            "--images-file", TestData.Official("sparse-images-1024_subset.mtx"), "--truth-dir", dir.Path, "--out", dir.File("out"), "--name", "wrong");
        Assert.Equal(CliRunner.ExitFailedCheck, code);
        Assert.Contains("FAILED", output);
    }
}
