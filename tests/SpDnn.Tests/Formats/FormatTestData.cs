using System.Formats.Tar;
using System.IO.Compression;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Formats;

/// <summary>Small networks and images for format tests.</summary>
public static class FormatTestData
{
    /// <summary>A random network with values that print and parse exactly (multiples of 1/2, biases of 1/16).</summary>
    public static InMemoryNetwork Network(int seed = 7, int neurons = 48, int layers = 5) =>
        InMemoryNetwork.Load(new RandomNetworkGenerator(seed, new RandomNetworkOptions
        {
            Neurons = neurons,
            Layers = layers,
            MeanRowNonZeros = 5,
            DyadicValues = true,
        }));

    /// <summary>The same network with one constant bias on every layer (what text formats can carry).</summary>
    public static InMemoryNetwork WithBias(ILayerSource network, float bias) =>
        new([.. Enumerable.Range(0, network.LayerCount).Select(k => network.GetLayer(k) with { Bias = NetworkLayer.ConstantBias(network.Neurons, bias) })]);

    public static ImageBatch Images(int seed = 3, int count = 20, int neurons = 48) =>
        RandomNetworkGenerator.RandomImages(seed, count, neurons, 0.2, 4f, binary: false);

    /// <summary>
    /// Layer k (1..6) of the official N=1024 network: block 0 needs no permutation, so
    /// W(n, m) = 1/16 exactly when (n − m) mod 64 is 0 or 2^(k−1) (challenge-spec.md).
    /// </summary>
    public static CsrMatrix OfficialBlockZeroLayer(int k, int neurons = 1024)
    {
        int m = neurons / 16, d = 1 << (k - 1);
        var rows = new List<int>();
        var cols = new List<int>();
        for (int n = 0; n < neurons; n++)
            for (int c = 0; c < neurons; c++)
            {
                int diff = ((n - c) % m + m) % m;
                if (diff == 0 || diff == d)
                {
                    rows.Add(n);
                    cols.Add(c);
                }
            }
        return CsrMatrix.FromCoordinates(neurons, neurons, rows.ToArray(), cols.ToArray(), Enumerable.Repeat(0.0625f, rows.Count).ToArray());
    }

    /// <summary>Writes a tar.gz of TSV layer files in the given entry order (0-based layers).</summary>
    public static void WriteTarGz(string path, ILayerSource network, IEnumerable<int> order, bool gzip = true)
    {
        using var file = File.Create(path);
        using Stream outer = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var tar = new TarWriter(outer, TarEntryFormat.Ustar);
        foreach (int k in order)
        {
            var content = new MemoryStream();
            SpDnn.Formats.TsvLayerWriter.Write(network.GetLayer(k).Weights, content);
            content.Position = 0;
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"neuron{network.Neurons}/n{network.Neurons}-l{k + 1}.tsv") { DataStream = content });
        }
    }

    public static void AssertSameNetwork(ILayerSource expected, ILayerSource actual, bool compareBias = true)
    {
        Assert.Equal(expected.Neurons, actual.Neurons);
        Assert.Equal(expected.LayerCount, actual.LayerCount);
        for (int k = 0; k < expected.LayerCount; k++)
        {
            var e = expected.GetLayer(k);
            var a = actual.GetLayer(k);
            Assert.True(e.Weights.ContentEquals(a.Weights), $"layer {k + 1} differs");
            if (compareBias) Assert.Equal(e.Bias, a.Bias);
        }
    }

    public static void AssertSameImages(ImageBatch expected, ImageBatch actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Neurons, actual.Neurons);
        Assert.True(expected.Features.ContentEquals(actual.Features), "image features differ");
    }
}
