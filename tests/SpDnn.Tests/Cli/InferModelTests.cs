using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

/// <summary><c>spdnn infer --model</c>: accuracy, per-class counts, predictions, and the errors around them.</summary>
public class InferModelTests
{
    [Fact]
    public void PrintsAccuracyAndPerClassCountsAndWritesPredictions()
    {
        using var dir = new TempDirectory();
        var predictions = dir.File("pred.txt");
        var run = CliHost.Run("infer", "--model", ModelTestData.SmallModel, "--images", ModelTestData.TestImages,
            "--labels", ModelTestData.TestLabels, "--engine", "cpu", "--predictions-out", predictions);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("accuracy    97.50 % (9,750 of 10,000)", run.Output);
        Assert.Contains("images/s", run.Output);
        Assert.Matches(@"\n9\s+\d+\s+1009\s+\d+", run.Output); // class 9: 1009 labelled images in the MNIST test set
        var lines = File.ReadAllLines(predictions);
        Assert.Equal(10000, lines.Length);
        Assert.All(lines, l => Assert.InRange(int.Parse(l), 0, 9));
    }

    [Fact]
    public void LabelsMustFitTheImagesAndATruncatedModelIsOneError()
    {
        using var dir = new TempDirectory();
        File.WriteAllLines(dir.File("labels.txt"), ["1", "2", "3"]);
        var few = CliHost.Run("infer", "--model", ModelTestData.SmallModel, "--images", ModelTestData.TestImages, "--labels", dir.File("labels.txt"), "--engine", "cpu");
        Assert.Equal(2, few.ExitCode);
        Assert.Contains("3 labels for 10000 images", few.Error);

        var bad = dir.File("bad.onnx");
        File.WriteAllBytes(bad, File.ReadAllBytes(ModelTestData.SmallModel)[..5000]);
        var truncated = CliHost.Run("infer", "--model", bad, "--images", ModelTestData.TestImages, "--engine", "cpu");
        Assert.Equal(2, truncated.ExitCode);
        Assert.Contains("not a readable ONNX model", truncated.Error);
    }
}
