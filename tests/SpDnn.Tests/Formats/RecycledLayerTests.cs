using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>
/// Layer sources that read a layer into the arrays of one given out before (<see cref="IRecyclingLayerSource"/>,
/// what the GPU planner does chunk after chunk) give the very layer a fresh read gives, reuse the
/// arrays only where their lengths fit, and still catch a damaged section however far into it.
/// </summary>
public sealed class RecycledLayerTests
{
    private static void AssertRecycles(IRecyclingLayerSource source, int first, int second)
    {
        var expected = source.GetLayer(second);
        var done = source.GetLayer(first, recycled: null).Weights;
        var layer = source.GetLayer(second, done);
        Assert.True(expected.Weights.ContentEquals(layer.Weights));
        Assert.Equal(expected.Bias, layer.Bias);
        Assert.Same(done.ColumnIndices, layer.Weights.ColumnIndices);
        Assert.Same(done.Values, layer.Weights.Values);
        Assert.Same(done.RowOffsets, layer.Weights.RowOffsets);
    }

    [Fact]
    public void ABinaryNetworkReadsALayerIntoAnEarlierLayersArrays()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.bin");
        // Equal nonzeros in every layer (as in the challenge's), so that the arrays fit.
        BinaryFileWriter.WriteNetwork(InMemoryNetwork.Load(new ChallengeNetworkGenerator(1024, 14)), path);
        using var source = new BinaryNetworkSource(path);
        AssertRecycles(source, first: 3, second: 13);
    }

    [Fact]
    public void ArraysOfOtherLengthsAreNotUsed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.bin");
        var network = FormatTestData.Network(neurons: 48, layers: 3);
        BinaryFileWriter.WriteNetwork(network, path);
        using var source = new BinaryNetworkSource(path);
        var other = new CsrMatrix(2, 48, [0, 1, 2], [5, 7], [1f, 2f]);
        var layer = source.GetLayer(1, other);
        Assert.True(network.GetLayer(1).Weights.ContentEquals(layer.Weights));
        Assert.NotSame(other.ColumnIndices, layer.Weights.ColumnIndices);
        Assert.NotSame(other.RowOffsets, layer.Weights.RowOffsets);
    }

    [Fact]
    public void TheChallengeGeneratorMakesALayerInAnEarlierLayersArrays()
    {
        var generator = new ChallengeNetworkGenerator(1024, 30);
        // A first-block layer into a permuted one's arrays and back.
        AssertRecycles(generator, first: 2, second: 25);
        AssertRecycles(generator, first: 25, second: 2);
    }

    [Fact]
    public void DamageFarIntoALargeSectionIsCaughtWhenRecycling()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.bin");
        // N = 4096: a section of about a megabyte, read in several pieces.
        BinaryFileWriter.WriteNetwork(InMemoryNetwork.Load(new ChallengeNetworkGenerator(4096, 3)), path);
        long offset, length;
        using (var file = new BinaryFileReader(path)) (offset, length) = (file.Section(2).Offset, file.Section(2).Length);
        Assert.True(length > 3 * (256 << 10));
        var bytes = File.ReadAllBytes(path);
        bytes[offset + length - 5] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        using var source = new BinaryNetworkSource(path);
        var done = source.GetLayer(0).Weights;
        var e = Assert.Throws<SpDnnDataException>(() => source.GetLayer(2, done));
        Assert.Contains("corrupt section 3", e.Message);
        Assert.True(source.GetLayer(1, done).Weights.ContentEquals(new ChallengeNetworkGenerator(4096, 3).GetLayer(1).Weights));
    }
}
