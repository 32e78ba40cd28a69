using System.IO.Compression;
using SpDnn.Formats.Npz;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>.npz files written by SciPy and NumPy (Fixtures/make-fixtures.py) and broken ones.</summary>
public class NpzNetworkTests
{
    private static readonly float[,] Dense =
    {
        { 0, 1.5f, 0, -2 }, { 0, 0, 0, 0 }, { 3, 0, 0.25f, 0 }, { 0, 0, 0, 1 }, { -1, 0, 0, 0 },
    };

    [Theory]
    [InlineData("layer-csr.npz")]
    [InlineData("layer-csc.npz")]
    [InlineData("layer-coo.npz")]
    public void ReadsAMatrixSavedBySaveNpz(string name)
    {
        var network = NpzNetworkReader.Read(ModelTestData.Fixture(name));
        Assert.Equal(1, network.LayerCount);
        var layer = network.GetLayer(0);
        Assert.Equal(LayerForm.Identity(BiasMode.Always), layer.Form);
        Assert.Equal(ReadOut.Class, network.ReadOut);
        Assert.Equal(6, layer.Weights.NonZeros);
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 4; c++)
            {
                var cols = layer.Weights.RowIndices(r).ToArray();
                int at = Array.IndexOf(cols, c);
                Assert.Equal(Dense[r, c], at < 0 ? 0f : layer.Weights.RowValues(r)[at]);
            }
    }

    [Fact]
    public void ReadsTheMultiLayerLayoutWrittenByNumPy()
    {
        var network = NpzNetworkReader.Read(ModelTestData.Fixture("two-layers.npz"));
        Assert.Equal(2, network.LayerCount);
        Assert.Equal(5, network.Neurons);
        Assert.Equal(3, network.Outputs);
        Assert.Equal(LayerForm.CappedRelu(2f, BiasMode.Always), network.GetLayer(0).Form);
        Assert.Equal(LayerForm.Identity(BiasMode.Always), network.GetLayer(1).Form);
        Assert.Equal([0.5f, -0.25f, 0f, 0.125f], network.GetLayer(0).Bias);
        Assert.Equal(5, network.GetLayer(1).Weights.NonZeros);
        Assert.Equal(ReadOut.Class, network.ReadOut);
    }

    [Theory]
    [InlineData("layer0_indptr", "indptr")]
    [InlineData("layer1_bias", "bias")]
    [InlineData("layer1_shape", "shape")]
    [InlineData("layer0_activation", "activation")]
    public void WrongArraysAreOneClearError(string array, string expected)
    {
        using var dir = new TempDirectory();
        var broken = dir.File("broken.npz");
        File.Copy(ModelTestData.Fixture("two-layers.npz"), broken);
        using (var zip = ZipFile.Open(broken, ZipArchiveMode.Update))
        {
            zip.GetEntry(array + ".npy")!.Delete();
            // Replace it with a wrong one: a float where text is due, too few entries, a bad shape.
            var entry = zip.CreateEntry(array + ".npy").Open();
            using var writer = entry;
            if (array.EndsWith("activation")) NpyWriter.Text(writer, "tanh");
            else if (array.EndsWith("shape")) NpyWriter.Longs(writer, [4, 3, 1], 3);
            else NpyWriter.Floats(writer, [1f, 2f], 2);
        }
        var e = Assert.Throws<SpDnnDataException>(() => NpzNetworkReader.Read(broken));
        Assert.Contains(broken, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingAndTruncatedArchivesAreClearErrors()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(ModelTestData.Fixture("two-layers.npz"));
        File.WriteAllBytes(dir.File("cut.npz"), bytes[..(bytes.Length / 2)]);
        Assert.Contains("not a readable .npz", Assert.Throws<SpDnnDataException>(() => NpzNetworkReader.Read(dir.File("cut.npz"))).Message);
        using (var zip = ZipFile.Open(dir.File("other.npz"), ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("weights.npy").Open()) NpyWriter.Floats(s, [1f], 1);
        Assert.Contains("neither an SpDnn network", Assert.Throws<SpDnnDataException>(() => NpzNetworkReader.Read(dir.File("other.npz"))).Message);
    }
}
