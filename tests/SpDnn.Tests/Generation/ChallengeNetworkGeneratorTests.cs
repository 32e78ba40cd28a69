using System.Security.Cryptography;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Generation;

public sealed class ChallengeNetworkGeneratorTests
{
    [Fact]
    public void AllOfficialN1024LayersReproduceTheirMd5()
    {
        var expected = File.ReadLines(TestData.Official("neuron1024-layers.md5"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[1], parts => parts[0]);
        Assert.Equal(120, expected.Count);
        var network = new ChallengeNetworkGenerator(1024, 120);
        var actual = new string[120];
        Parallel.For(0, 120, k =>
        {
            using var bytes = new MemoryStream();
            TsvLayerWriter.Write(network.GetLayer(k).Weights, bytes);
            actual[k] = Convert.ToHexStringLower(MD5.HashData(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)));
        });
        var wrong = Enumerable.Range(0, 120).Where(k => actual[k] != expected[$"n1024-l{k + 1}.tsv"]).Select(k => k + 1).ToList();
        Assert.True(wrong.Count == 0, $"layers with a wrong md5: {string.Join(", ", wrong)}");
    }

    [Theory]
    [InlineData(1024, 0L)]
    [InlineData(4096, 326_656L)]
    [InlineData(16384, 1_305_600L)]
    [InlineData(65536, 4_434_944L)]
    public void EachSizeStartsAtItsStreamOffset(int neurons, long start)
    {
        Assert.Equal(start, ChallengeNetworkGenerator.StreamStart(neurons));
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    [InlineData(16384)]
    [InlineData(65536)]
    public void FirstPermutedLayerIsTheArgsortOfTheSizesDoublesApplied(int neurons)
    {
        int stages = ChallengeNetworkGenerator.StagesPerBlock(neurons);
        var network = new ChallengeNetworkGenerator(neurons, stages + 1);
        var stream = new MersenneTwister19937();
        stream.SkipDoubles(ChallengeNetworkGenerator.StreamStart(neurons));
        var doubles = new double[neurons];
        for (int i = 0; i < neurons; i++) doubles[i] = stream.NextDouble();
        var order = Enumerable.Range(0, neurons).ToArray();
        Array.Sort(doubles.ToArray(), order);
        Assert.Equal(order, network.Permutation(1));

        var permuted = network.GetLayer(stages).Weights;   // block 1, stage 0
        var unpermuted = network.GetLayer(0).Weights;      // block 0, stage 0
        AssertChallengeShape(permuted);
        for (int n = 0; n < neurons; n++)
            Assert.True(unpermuted.RowIndices(n).SequenceEqual(permuted.RowIndices(order[n])), $"row {n} of stage 0 is not row {order[n]}");
        Assert.Equal(ChallengeSpec.Bias(neurons), network.GetLayer(stages).Bias[0]);
    }

    [Fact]
    public void StagesFollowTheRadixNetPattern()
    {
        var network = new ChallengeNetworkGenerator(1024, 6);
        int m = 64;
        for (int j = 0; j < 6; j++)
        {
            var w = network.GetLayer(j).Weights;
            AssertChallengeShape(w);
            for (int n = 0; n < 1024; n++)
                foreach (int col in w.RowIndices(n))
                {
                    int diff = ((n - col) % m + m) % m;
                    Assert.True(diff == 0 || diff == 1 << j, $"stage {j}: ({n}, {col})");
                }
        }
    }

    [Fact]
    public void ParallelRequestsGiveTheSameLayersAsSequentialOnes()
    {
        var sequential = new ChallengeNetworkGenerator(1024, 40);
        var expected = Enumerable.Range(0, 40).Select(k => sequential.GetLayer(k).Weights).ToArray();
        var parallel = new ChallengeNetworkGenerator(1024, 40);
        var actual = new CsrMatrix[40];
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k => actual[39 - k] = parallel.GetLayer(39 - k).Weights);
        for (int k = 0; k < 40; k++) Assert.True(expected[k].ContentEquals(actual[k]), $"layer {k}");
    }

    [Fact]
    public void LayersBeyond1920KeepDrawingFromTheStreamAndSaySo()
    {
        var network = new ChallengeNetworkGenerator(1024, 1926);
        Assert.Contains("not part of the challenge", network.Description);
        // Block 320 (layers 1921..1926) takes the doubles right after the 319 official permutations,
        // which are the first doubles of the 4096 network.
        var stream = new MersenneTwister19937();
        stream.SkipDoubles(ChallengeNetworkGenerator.StreamStart(4096));
        var keys = new ulong[1024];
        for (int i = 0; i < keys.Length; i++) keys[i] = stream.NextRes53Integer();
        Assert.Equal(ChallengeNetworkGenerator.Argsort(keys), network.Permutation(320));
        AssertChallengeShape(network.GetLayer(1925).Weights);
        Assert.DoesNotContain("not part", new ChallengeNetworkGenerator(1024, 1920).Description);
    }

    [Fact]
    public void ArgsortKeepsTiesInIndexOrder()
    {
        Assert.Equal([3, 1, 4, 0, 2], ChallengeNetworkGenerator.Argsort([5, 2, 5, 1, 2]));
    }

    [Fact]
    public void ExplicitBiasAndBadSizesAreHonoured()
    {
        Assert.Equal(-0.25f, new ChallengeNetworkGenerator(4096, 3, bias: -0.25f).GetLayer(2).Bias[4095]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChallengeNetworkGenerator(2048, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChallengeNetworkGenerator(1024, 3).GetLayer(3));
    }

    private static void AssertChallengeShape(CsrMatrix w)
    {
        var columnCounts = new int[w.Columns];
        for (int r = 0; r < w.Rows; r++)
        {
            var cols = w.RowIndices(r);
            Assert.Equal(ChallengeSpec.ConnectionsPerNeuron, cols.Length);
            for (int i = 1; i < cols.Length; i++) Assert.True(cols[i] > cols[i - 1], $"row {r} not ascending");
            foreach (int c in cols) columnCounts[c]++;
        }
        Assert.All(columnCounts, count => Assert.Equal(ChallengeSpec.ConnectionsPerNeuron, count));
        Assert.All(w.Values, v => Assert.Equal(ChallengeSpec.Weight, v));
    }
}
