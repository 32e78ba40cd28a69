using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class NetworkSourceTests
{
    private const float Bias = -0.25f;

    [Theory]
    [InlineData(StorageFormat.Tsv)]
    [InlineData(StorageFormat.TsvGz)]
    [InlineData(StorageFormat.Mtx)]
    [InlineData(StorageFormat.TarGz)]
    [InlineData(StorageFormat.Binary)]
    public void EveryNetworkFormatRoundTripsThroughTheLoader(StorageFormat format)
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.WithBias(FormatTestData.Network(), Bias);
        var path = dir.File(format switch { StorageFormat.TarGz => "neuron48.tar.gz", StorageFormat.Binary => "net.bin", _ => "neuron48" });
        NetworkWriter.Write(network, path, format);
        var source = NetworkLoader.Open(path, bias: format == StorageFormat.Binary ? null : Bias);
        try
        {
            FormatTestData.AssertSameNetwork(network, source);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
        Assert.Single(Directory.GetFileSystemEntries(dir.Path)); // no temporaries
    }

    [Fact]
    public void FolderAcceptsTheOfficialSubfolderAndTakesTheFirstLayers()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.WithBias(FormatTestData.Network(), Bias);
        NetworkWriter.Write(network, Path.Combine(dir.Path, "neuron48"), StorageFormat.Tsv);
        var source = (LayerFolderSource)NetworkLoader.Open(dir.Path, layers: 3, bias: Bias);
        Assert.Equal(48, source.Neurons);
        Assert.Equal(3, source.LayerCount);
        Assert.True(network.GetLayer(2).Weights.ContentEquals(source.GetLayer(2).Weights));
    }

    [Fact]
    public void ChallengeSizesGetTheChallengeBiasByDefault()
    {
        using var dir = new TempDirectory();
        var layer = FormatTestData.OfficialBlockZeroLayer(1);
        TsvLayerWriter.Write(layer, dir.File("n1024-l1.tsv"));
        var source = NetworkLoader.Open(dir.Path);
        Assert.All(source.GetLayer(0).Bias, b => Assert.Equal(-0.3f, b));
        var other = FormatTestData.Network();
        using var dir2 = new TempDirectory();
        NetworkWriter.Write(other, Path.Combine(dir2.Path, "net"), StorageFormat.Tsv);
        Assert.Contains("--bias", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(Path.Combine(dir2.Path, "net"))).Message);
    }

    [Fact]
    public void MissingLayerFileIsAClearError()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.Network();
        var folder = Path.Combine(dir.Path, "net");
        NetworkWriter.Write(network, folder, StorageFormat.Tsv);
        File.Delete(Path.Combine(folder, "n48-l3.tsv"));
        // A gap is an error, not a shorter network, unless fewer layers are asked for.
        var gap = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(folder, bias: Bias));
        Assert.EndsWith("n48-l3.tsv", gap.File);
        Assert.Contains("missing layer file: the folder has layers up to 5 (--layers 2 uses the first 2)", gap.Message);
        Assert.Equal(2, NetworkLoader.Open(folder, layers: 2, bias: Bias).LayerCount);
        var e = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(folder, layers: 4, bias: Bias));
        Assert.EndsWith("n48-l3.tsv", e.File);
        Assert.Contains("missing layer file", e.Message);
    }

    [Fact]
    public void LayerOfTheWrongSizeNamesFileAndLine()
    {
        using var dir = new TempDirectory();
        var folder = dir.Path;
        TsvLayerWriter.Write(FormatTestData.Network(neurons: 48).GetLayer(0).Weights, Path.Combine(folder, "n40-l1.tsv"));
        var source = NetworkLoader.Open(folder, bias: Bias);
        var e = Assert.Throws<SpDnnDataException>(() => source.GetLayer(0));
        Assert.EndsWith("n40-l1.tsv", e.File);
        Assert.NotNull(e.Line);
        Assert.Contains("outside 1..40", e.Message);
        File.Copy(Path.Combine(folder, "n40-l1.tsv"), Path.Combine(folder, "n48-l2.tsv"));
        Assert.Contains("wrong N", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(folder, bias: Bias)).Message);
    }

    [Theory]
    [InlineData(true, 0L)]
    [InlineData(true, 1L << 30)]
    [InlineData(false, 1L << 30)]
    public void TarReadsAnyEntryOrderInAnyRequestOrder(bool shuffled, long cacheBudget)
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.WithBias(FormatTestData.Network(layers: 8), Bias);
        var path = dir.File("neuron48.tar.gz");
        int[] order = shuffled ? [5, 0, 7, 2, 1, 6, 3, 4] : [0, 1, 2, 3, 4, 5, 6, 7];
        FormatTestData.WriteTarGz(path, network, order);
        using var source = new TarNetworkSource(path, bias: Bias, cacheBudgetBytes: cacheBudget);
        Assert.Equal(8, source.LayerCount);
        FormatTestData.AssertSameNetwork(network, source);
        foreach (int k in new[] { 7, 0, 3, 3, 6, 1 })
            Assert.True(network.GetLayer(k).Weights.ContentEquals(source.GetLayer(k).Weights));
        Parallel.For(0, 16, i => Assert.True(network.GetLayer(i % 8).Weights.ContentEquals(source.GetLayer(i % 8).Weights)));
    }

    [Fact]
    public void PlainTarAndLayerLimitWork()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.WithBias(FormatTestData.Network(), Bias);
        var path = dir.File("neuron48.tar");
        FormatTestData.WriteTarGz(path, network, [0, 1, 2, 3, 4], gzip: false);
        using var source = (TarNetworkSource)NetworkLoader.Open(path, layers: 2, bias: Bias);
        Assert.Equal(2, source.LayerCount);
        Assert.True(network.GetLayer(1).Weights.ContentEquals(source.GetLayer(1).Weights));
    }

    [Fact]
    public void TarMissingLayerAndTruncationAreErrors()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.Network(neurons: 300, layers: 4);
        var path = dir.File("neuron300.tar.gz");
        FormatTestData.WriteTarGz(path, network, [0, 1, 3]);
        using (var source = new TarNetworkSource(path, layers: 4, bias: Bias))
        {
            source.GetLayer(1);
            var e = Assert.Throws<SpDnnDataException>(() => source.GetLayer(2));
            Assert.Contains("missing layer n300-l3.tsv", e.Message);
            Assert.Equal(path, e.File);
        }
        Assert.Contains("missing layer n300-l3.tsv in the archive, which has layers up to 4 (--layers 2 uses the first 2)",
            Assert.Throws<SpDnnDataException>(() => new TarNetworkSource(path, bias: Bias)).Message);
        using (var counted = new TarNetworkSource(path, layers: 2, bias: Bias)) Assert.Equal(2, counted.LayerCount);

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<SpDnnDataException>(() =>
        {
            using var source = new TarNetworkSource(path, layers: 3, bias: Bias);
            for (int k = 0; k < 3; k++) source.GetLayer(k);
        });
        Assert.Equal(path, truncated.File);
        Assert.Contains("truncated", truncated.Message);
    }

    [Fact]
    public void UnknownFilesAreNotNetworks()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.tsv");
        File.WriteAllText(path, "1\t1\t1\n");
        Assert.Contains("not a network", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path)).Message);
        Assert.Throws<FileNotFoundException>(() => NetworkLoader.Open(dir.File("nothing")));
        Assert.Contains("no layer files", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(dir.Path)).Message);
    }

    [Fact]
    public void TheReferenceEngineGivesTheSameResultFromEveryFormat()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.WithBias(FormatTestData.Network(neurons: 64, layers: 6), -0.125f);
        var images = FormatTestData.Images(count: 30, neurons: 64);
        var expected = SpDnn.Tests.Engines.EngineConformanceTests.RunReference(network, images);
        foreach (var format in new[] { StorageFormat.TarGz, StorageFormat.Binary, StorageFormat.Mtx })
        {
            var path = dir.File($"net-{format}");
            NetworkWriter.Write(network, path, format);
            var source = NetworkLoader.Open(path, bias: format == StorageFormat.Binary ? null : -0.125f);
            var actual = SpDnn.Tests.Engines.EngineConformanceTests.RunReference(source, images);
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
            (source as IDisposable)?.Dispose();
        }
    }
}
