using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Generation;

public sealed class GeneralNetworkGeneratorTests
{
    [Theory]
    [InlineData(32)]   // every output reads every input
    [InlineData(100)]  // not a power of two
    [InlineData(1024)]
    public void EveryOutputReadsExactly32DistinctInputs(int neurons)
    {
        var network = new GeneralNetworkGenerator(neurons, 2);
        for (int k = 0; k < network.LayerCount; k++)
        {
            var weights = network.GetLayer(k).Weights;
            Assert.Equal((neurons, neurons), (weights.Rows, weights.Columns));
            for (int i = 0; i < weights.Rows; i++) AssertStrictlyAscending(weights.RowIndices(i)); // the CSR invariant
            var byOutput = weights.Transpose();
            for (int j = 0; j < neurons; j++)
            {
                Assert.Equal(GeneralNetworkGenerator.InputsPerOutput, byOutput.RowLength(j));
                AssertStrictlyAscending(byOutput.RowIndices(j));
            }
        }
    }

    [Fact]
    public void InputsAreDrawnUniformly()
    {
        // Over 10 layers each input is read ~Binomial(10·N, 32/N) times: mean 320, sd ~17.6.
        const int neurons = 1000, layers = 10;
        var network = new GeneralNetworkGenerator(neurons, layers);
        var reads = new int[neurons];
        for (int k = 0; k < layers; k++)
        {
            var weights = network.GetLayer(k).Weights;
            for (int i = 0; i < neurons; i++) reads[i] += weights.RowLength(i);
        }
        Assert.All(reads, r => Assert.InRange(r, 320 - 6 * 18, 320 + 6 * 18));
        Assert.InRange(reads.Take(neurons / 2).Sum(), 160_000 - 2_000, 160_000 + 2_000); // low and high halves alike
    }

    [Fact]
    public void WeightsAreNonZeroInsideTheBoundAndNotPowersOfTwo()
    {
        var values = new GeneralNetworkGenerator(1024, 1).GetLayer(0).Weights.Values;
        Assert.All(values, w => Assert.True(w != 0f && Math.Abs((double)w) < GeneralNetworkGenerator.WeightBound, $"weight {w:R}"));
        // Uniform and symmetric: each quarter of the range holds about a quarter of the 32768 weights (sd ~78).
        int[] quarters = new int[4];
        foreach (float w in values) quarters[Math.Clamp((int)Math.Floor((w + 0.65) / 0.325), 0, 3)]++;
        Assert.All(quarters, q => Assert.InRange(q, 8192 - 500, 8192 + 500));
        // Non-dyadic: almost no weight is ±2^k, so the GPU's exact fused-product path is refused.
        int powersOfTwo = values.Count(w => (BitConverter.SingleToUInt32Bits(w) & 0x007F_FFFFu) == 0);
        Assert.True(powersOfTwo < 10, $"{powersOfTwo} weights are powers of two");
        Assert.Equal(ExactProducts.Never, ExactProducts.Bounds(values));
    }

    [Theory]
    [InlineData(0x0000_0000u, -0.65 * (1 - 1.0 / (1 << 24)))]
    [InlineData(0xFFFF_FFFFu, 0.65 * (1 - 1.0 / (1 << 24)))]
    [InlineData(0x8000_0000u, 0.65 / (1 << 24))]   // the smallest magnitudes: odd multiples, never zero
    [InlineData(0x7FFF_FFFFu, -0.65 / (1 << 24))]
    public void WeightsAreOddMultiplesOfTheStep(uint bits, double expected)
    {
        Assert.Equal((float)expected, GeneralNetworkGenerator.Weight(bits));
    }

    [Fact]
    public void EveryNeuronHasTheChallengeFormWithBiasMinus005()
    {
        var network = new GeneralNetworkGenerator(64, 3);
        Assert.True(((ILayerSource)network).IsChallengeForm);
        for (int k = 0; k < 3; k++)
        {
            var layer = network.GetLayer(k);
            Assert.Equal(k, layer.Index);
            Assert.True(layer.IsChallengeForm);
            Assert.All(layer.Bias, b => Assert.Equal(-0.05f, b));
        }
    }

    [Fact]
    public void LayersAreTheSameWhateverTheOrderAndThreadsThatMakeThem()
    {
        const int layers = 6;
        var forward = new GeneralNetworkGenerator(512, layers);
        var inOrder = Enumerable.Range(0, layers).Select(forward.GetLayer).ToArray();
        var parallel = new NetworkLayer[layers];
        var other = new GeneralNetworkGenerator(512, layers);
        Parallel.For(0, layers, k => parallel[layers - 1 - k] = other.GetLayer(layers - 1 - k));
        for (int k = 0; k < layers; k++) Assert.True(inOrder[k].Weights.ContentEquals(parallel[k].Weights), $"layer {k}");
        Assert.False(inOrder[0].Weights.ContentEquals(inOrder[1].Weights));
        Assert.False(inOrder[0].Weights.ContentEquals(new GeneralNetworkGenerator(512, layers, seed: 15).GetLayer(0).Weights));
        // The layer count does not change a layer.
        Assert.True(inOrder[2].Weights.ContentEquals(new GeneralNetworkGenerator(512, 3).GetLayer(2).Weights));
    }

    [Fact]
    public void TheBenchmarkNetworkKeepsItsBits()
    {
        // The committed truth files (bench/truth/general-*) depend on these exact layers.
        var weights = new GeneralNetworkGenerator(1024, 120).GetLayer(7).Weights;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(weights.RowOffsets.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(weights.ColumnIndices.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(weights.Values.AsSpan()));
        Assert.Equal("eec391a548abcea04829c42b8c3da414b2f5518c8eda7d852bd47366ac016ced", Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static void AssertStrictlyAscending(ReadOnlySpan<int> indices)
    {
        for (int e = 1; e < indices.Length; e++) Assert.True(indices[e] > indices[e - 1], $"indices {indices[e - 1]}, {indices[e]} at {e}");
    }
}
