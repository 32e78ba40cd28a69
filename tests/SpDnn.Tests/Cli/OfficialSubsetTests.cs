using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

public class OfficialSubsetTests
{
    /// <summary>
    /// The acceptance run: the official first 120 layers (generated, stored in the binary
    /// format), the official 1200-image subset and its 19-entry truth, all through `spdnn infer`.
    /// </summary>
    [Fact]
    public void InferOnTheOfficialSubsetPasses()
    {
        using var dir = new TempDirectory();
        var network = dir.File("neuron1024-l120.bin");
        BinaryFileWriter.WriteNetwork(new ChallengeNetworkGenerator(1024, 120), network);
        var categories = dir.File("categories.tsv");
        var run = CliHost.Run("infer", "--network", network, "--images", TestData.Official("sparse-images-1024_subset.mtx"),
            "--truth", TestData.Official("neuron1024-l120-categories_subset.mtx"), "--engine", "reference", "--categories-out", categories);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("challenge PASSED", run.Output);
        Assert.Contains("categories  19", run.Output);
        Assert.Equal(CategoriesFile.Read(TestData.Official("neuron1024-l120-categories_subset.mtx")), CategoriesFile.Read(categories));
    }
}
