using System.Text.Json;
using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Distributed;

/// <summary>A generated dataset on disk: a random network (binary format, per-neuron biases) and images (TSV), with the expected categories.</summary>
public sealed class DistributedDataset : IDisposable
{
    private readonly TempDirectory _folder = new();

    public DistributedDataset()
    {
        var options = new RandomNetworkOptions { Neurons = 128, Layers = 8, MeanRowNonZeros = 6, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.75f, MaxBias = 0.125f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(21, options));
        var images = RandomNetworkGenerator.RandomImages(21, 97, options.Neurons, 0.03, 2f, binary: false);
        Network = _folder.File("net.bin");
        Images = _folder.File("images.tsv");
        NetworkWriter.Write(network, Network, StorageFormat.Binary);
        TsvImageWriter.Write(images, Images);
        BinaryImages = _folder.File("images.bin");
        ImageWriter.Write(ImageLoader.Load(Images, options.Neurons), BinaryImages, StorageFormat.Binary);
        BadImages = _folder.File("bad-images.tsv");
        System.IO.File.WriteAllText(BadImages, System.IO.File.ReadAllText(Images) + "12\tnot-a-pixel\t1\n");
        // As the files say (a TSV set ends at its last image with a pixel).
        var stored = ImageLoader.Load(Images, options.Neurons);
        ImageCount = stored.Count;
        Expected = new ReferenceEngine().Infer(network, stored).Categories;
        Assert.True(Expected.Length > 3 && Expected.Length < ImageCount - 3, $"{Expected.Length} of {ImageCount} survive: the data must keep some and lose some");
    }

    public string Network { get; }
    public string Images { get; }
    public string BinaryImages { get; }
    public string BadImages { get; }
    public int[] Expected { get; }
    public int ImageCount { get; }

    public string File(string name) => _folder.File(name);

    /// <summary>The fastest CPU engine the factory offers.</summary>
    public static string Engine => EngineFactory.Names.Contains("cpu") ? "cpu" : "reference";

    public void Dispose() => _folder.Dispose();
}

/// <summary><c>spdnn infer</c> as one process and under <c>mpiexec -n P</c>: the same categories, one report, clean failures.</summary>
public sealed class DistributedInferTests(DistributedDataset data) : IClassFixture<DistributedDataset>
{
    private string[] Infer(string categoriesOut, string images, params string[] more) =>
        ["infer", "--network", data.Network, "--images", images, "--engine", DistributedDataset.Engine, "--categories-out", categoriesOut, .. more];

    [SkippableTheory]
    [InlineData(MpiFlavour.Mpich, 1, false)]
    [InlineData(MpiFlavour.Mpich, 2, false)]
    [InlineData(MpiFlavour.Mpich, 3, false)]
    [InlineData(MpiFlavour.Mpich, 3, true)]
    [InlineData(MpiFlavour.OpenMpi, 2, false)]
    [InlineData(MpiFlavour.OpenMpi, 3, true)]
    public void RanksGiveTheSingleProcessCategories(MpiFlavour flavour, int ranks, bool binaryImages)
    {
        Skip.If(CliProcess.Launcher(flavour) is null, CliProcess.SkipReason(flavour));
        string single = data.File($"single-{flavour}-{ranks}-{binaryImages}.tsv"), spread = data.File($"ranks-{flavour}-{ranks}-{binaryImages}.tsv");
        string images = binaryImages ? data.BinaryImages : data.Images;
        var one = CliProcess.Run(Infer(single, data.Images));
        Assert.True(one.ExitCode == 0, one.ToString());
        var run = CliProcess.Run(Infer(spread, images, "--json"), mpiRanks: ranks, flavour: flavour);
        Assert.True(run.ExitCode == 0, run.ToString());

        Assert.Equal(data.Expected, CategoriesFile.Read(single));
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(spread));
        // Rank 0 alone reports: exactly one JSON record.
        var line = Assert.Single(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Equal(data.ImageCount, json.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(data.Expected.Length, json.RootElement.GetProperty("categories").GetInt32());
        var details = json.RootElement.GetProperty("details");
        Assert.Equal(ranks.ToString(), details.GetProperty("ranks").GetString());
        Assert.Equal(binaryImages || ranks == 1 ? "each rank read its slice" : "each rank read the whole set and kept its slice",
            details.GetProperty("image input").GetString());
    }

    [SkippableFact]
    public void ARankWithABadFileEndsTheJobWithItsMessage()
    {
        Skip.If(CliProcess.Mpiexec is null, CliProcess.SkipReasonWithoutMpiexec);
        string output = data.File("never-written.tsv");
        var run = CliProcess.RunRanks([Infer(output, data.Images), Infer(output, data.BadImages), Infer(output, data.Images)],
            TimeSpan.FromSeconds(120));
        Assert.False(run.TimedOut, "the job hung: " + run);
        Assert.True(run.ExitCode == 2, run.ToString());
        // One message, from rank 0, naming the file, the line and the rank that failed.
        var errors = run.Error.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        var message = Assert.Single(errors);
        Assert.Contains("bad-images.tsv:", message);
        Assert.Contains("(rank 1 of 3)", message);
        Assert.False(File.Exists(output), "no categories may be written when a rank failed");
    }

    [SkippableFact]
    public void AFailedTruthCheckEndsEveryRankWithExitCodeOne()
    {
        Skip.If(CliProcess.Mpiexec is null, CliProcess.SkipReasonWithoutMpiexec);
        string truth = data.File("wrong-truth.tsv");
        CategoriesFile.Write(truth, data.Expected.Skip(1).ToArray());
        var run = CliProcess.Run([.. Infer(data.File("checked.tsv"), data.Images), "--truth", truth], mpiRanks: 2);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Single(run.Output.Split('\n'), l => l.Contains("challenge FAILED", StringComparison.Ordinal));
    }
}
