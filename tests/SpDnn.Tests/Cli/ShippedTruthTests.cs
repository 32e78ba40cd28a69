using SpDnn.Cli.Infer;
using SpDnn.Data;
using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

public sealed class ShippedTruthTests
{
    [Fact]
    public void TheShippedN1024L120TruthIsTheOfficialFile()
    {
        var official = CategoriesFile.Read(TestData.Official("neuron1024-l120-categories.tsv"));
        Assert.Equal(official, ChallengeTruth.TryGet(1024, 120));
        var shipped = File.ReadAllBytes(Path.Combine(TestData.RepositoryRoot, "bench", "truth", "neuron1024-l120-categories.tsv"));
        Assert.Equal(File.ReadAllBytes(TestData.Official("neuron1024-l120-categories.tsv")), shipped);
    }

    [Fact]
    public void EveryShippedTruthHasTheOfficialSurvivorCount()
    {
        int found = 0;
        foreach (int n in ChallengeSpec.NeuronCounts)
            foreach (int l in ChallengeSpec.LayerCounts)
            {
                if (ChallengeTruth.TryGet(n, l) is not { } truth) continue;
                found++;
                Assert.Equal(ChallengeSpec.Survivors(n), truth.Length);
                Assert.True(truth.SequenceEqual(truth.Order().Distinct()), $"N={n} L={l} is not ascending and unique");
                Assert.All(truth, c => Assert.InRange(c, 1, ChallengeSpec.OfficialImageCount));
            }
        Assert.True(found >= 6, $"only {found} truth files are shipped");
        Assert.Null(ChallengeTruth.TryGet(1024, 7));
    }
}

public sealed class DefaultDatasetTests
{
    [Fact]
    public void InferWithoutFilesRunsTheGeneratedChallengeDatasetAndPasses()
    {
        using var dir = new TempDirectory();
        var first = CliHost.Run("infer", "--data", dir.Path, "--engine", "cpu");
        Assert.True(first.ExitCode == 0, first.Error + first.Output);
        Assert.Contains("challenge PASSED (1812 categories)", first.Output);
        // The network is generated as it is planned: no file of it.
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "networks")));
        Assert.Contains("challenge network N=1024, L=120 (RadiX-Net", first.Output);

        // The second run reads the cached images and checks again.
        var second = CliHost.Run("infer", "--data", dir.Path, "--engine", "cpu", "--layers", "480");
        Assert.True(second.ExitCode == 0, second.Error + second.Output);
        Assert.Contains("challenge PASSED (1812 categories)", second.Output);
    }

    [Fact]
    public void OnlyOneOfNetworkAndImagesIsAnError()
    {
        var run = CliHost.Run("infer", "--network", "x.bin");
        Assert.Equal(SpDnn.Cli.CliRunner.ExitBadInput, run.ExitCode);
        Assert.Contains("both --network (or --model) and --images", run.Error);
    }
}
