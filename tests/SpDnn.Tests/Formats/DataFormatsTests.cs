using SpDnn.Formats;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>
/// The table of formats is consistent, and every row's writers and readers agree: a format added
/// to the table is round-tripped here without a test of its own.
/// </summary>
public class DataFormatsTests
{
    private const float Bias = -0.25f;

    public static TheoryData<string> Names => [.. DataFormats.All.Select(f => f.Name)];

    [Fact]
    public void NamesExtensionsAndIdsAreEachTakenOnce()
    {
        var names = DataFormats.All.SelectMany(f => f.Aliases.Prepend(f.Name)).Select(n => n.ToLowerInvariant()).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        var extensions = DataFormats.All.SelectMany(f => f.Extensions).ToArray();
        Assert.Equal(extensions.Length, extensions.Distinct().Count());
        Assert.All(extensions, e => Assert.Equal(e.ToLowerInvariant(), e));
        Assert.Equal(Enum.GetValues<StorageFormat>().Order(), DataFormats.All.Select(f => f.Id).Order());
        Assert.Single(DataFormats.All, f => f.IsText && f.Signature is null && f == DataFormats.Text);
        Assert.All(DataFormats.All, f => Assert.False(string.IsNullOrWhiteSpace(f.Expresses)));
        // A format that writes files of its own names them.
        Assert.All(DataFormats.All.Where(f => f.Writes != FormatHolds.None), f => Assert.NotEmpty(f.Extensions));
    }

    [Fact]
    public void TheDocumentedTableListsEveryFormat()
    {
        var docs = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "formats.md"));
        Assert.All(DataFormats.All, f => Assert.Contains($"\n| {f.Name} ", docs));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NamesAndExtensionsLeadBackToTheRow(string name)
    {
        var row = DataFormats.Parse(name);
        Assert.Equal(name, StorageFormats.Name(row.Id));
        Assert.Equal(row.Id, StorageFormats.Parse(name.ToUpperInvariant()));
        foreach (var alias in row.Aliases) Assert.Same(row, DataFormats.Parse(alias));
        foreach (var extension in row.Extensions) Assert.Same(row, DataFormats.FromPath("/some/where/file" + extension.ToUpperInvariant()));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void WhatARowWritesItsReaderReadsBack(string name)
    {
        var row = DataFormats.Parse(name);
        using var dir = new TempDirectory();
        bool any = false;
        if ((row.Writes & row.Reads & FormatHolds.Network) != 0)
        {
            any = true;
            var path = dir.File(row.NetworkIsFolder ? "neuron48" : "neuron48" + row.Extensions[0]);
            if (row.HoldsGeneralNetworks)
            {
                var network = ModelRoundTripTests.OnnxExpressible(5);
                NetworkWriter.Write(network, path, row.Id);
                using var back = NetworkLoader.Open(path);
                ModelRoundTripTests.AssertSameLayers(network, back);
            }
            else
            {
                var network = FormatTestData.WithBias(FormatTestData.Network(), Bias);
                NetworkWriter.Write(network, path, row.Id);
                using var back = NetworkLoader.Open(path, bias: Bias);
                FormatTestData.AssertSameNetwork(network, back);
            }
            if (!row.NetworkIsFolder) Assert.True((DataFormats.Detect(path).Reads & FormatHolds.Network) != 0);
        }
        if ((row.Writes & row.Reads & FormatHolds.Images) != 0)
        {
            any = true;
            var images = FormatTestData.Images();
            var path = dir.File("sparse-images-48" + row.Extensions[0]);
            ImageWriter.Write(images, path, row.Id);
            FormatTestData.AssertSameImages(images, ImageLoader.Load(path, images.Neurons));
        }
        if ((row.Writes & FormatHolds.Categories) != 0)
        {
            any = true;
            var path = dir.File("categories" + row.Extensions[0]);
            row.WriteCategories!(path, [2, 7, 40]);
            Assert.Equal([2, 7, 40], CategoriesFile.Read(path));
        }
        // Read-only formats (IDX) are read in their own tests.
        Assert.True(any || row.Writes == FormatHolds.None, $"{name} writes {row.Writes} but nothing was read back");
    }

    [Fact]
    public void ALayerFolderTakesTheFirstFormOfALayerInTableOrder()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.Network(layers: 1);
        var other = FormatTestData.Network(seed: 99, layers: 1);
        // The same layer as Matrix Market (another matrix) and as TSV: the table lists tsv first.
        MatrixMarketWriter.Write(other.GetLayer(0).Weights, dir.File("n48-l1.mtx"));
        TsvLayerWriter.Write(network.GetLayer(0).Weights, dir.File("n48-l1.tsv"));
        using var source = NetworkLoader.Open(dir.Path, bias: Bias);
        Assert.True(network.GetLayer(0).Weights.ContentEquals(source.GetLayer(0).Weights));
        Assert.Equal([".tsv", ".tsv.gz", ".mtx", ".mtx.gz"], DataFormats.LayerFileExtensions);
    }

    [Fact]
    public void AFileOfAnotherKindIsNamedByItsFormat()
    {
        using var dir = new TempDirectory();
        var path = dir.File("images.bin");
        BinaryFileWriter.WriteImages(FormatTestData.Images(), path);
        Assert.Contains("holds bin data", Assert.Throws<SpDnnDataException>(() => CategoriesFile.Read(path)).Message);
        var archive = dir.File("neuron48.tar.gz");
        FormatTestData.WriteTarGz(archive, FormatTestData.Network(), [0, 1]);
        Assert.Contains("holds tar.gz data", Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(archive)).Message);
        Assert.Contains("Images cannot be written as tar.gz",
            Assert.Throws<SpDnnUsageException>(() => ImageWriter.Write(FormatTestData.Images(), dir.File("x.tar.gz"), StorageFormat.TarGz)).Message);
    }
}
