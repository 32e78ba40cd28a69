using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The layer kernel's fused multiply-adds (on the CPU simulator a correctly rounded software
/// fma) must leave every result bit-identical to the reference: taken where every product is
/// exact, refused where one would round.
/// </summary>
public sealed class GpuFusedProductTests
{
    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    private static GpuEngine Simulator(bool fused) =>
        new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, FusedProducts = fused });

    /// <summary>A random general network whose weights are rounded to ±2^k with k in [minExponent, maxExponent].</summary>
    private static InMemoryNetwork PowerOfTwoNetwork(int seed, RandomNetworkOptions shape, int minExponent, int maxExponent)
    {
        var random = new Random(seed);
        var layers = new List<NetworkLayer>();
        var source = new RandomNetworkGenerator(seed, shape);
        for (int i = 0; i < shape.Layers; i++)
        {
            var layer = source.GetLayer(i);
            var w = layer.Weights;
            var values = w.Values.Select(v => MathF.ScaleB(MathF.Sign(v) >= 0 ? 1f : -1f, random.Next(minExponent, maxExponent + 1))).ToArray();
            layers.Add(new NetworkLayer(i, new CsrMatrix(w.Rows, w.Columns, w.RowOffsets, w.ColumnIndices, values), layer.Bias));
        }
        return new InMemoryNetwork(layers, $"power-of-two network (seed {seed})");
    }

    /// <summary>The images' pattern with values of full 24-bit significands in [2^exponent, 2^(exponent+1)).</summary>
    private static ImageBatch FullSignificands(ImageBatch images, int exponent, int seed)
    {
        var random = new Random(seed);
        var f = images.Features;
        var values = f.Values.Select(_ => MathF.ScaleB(1f + (float)random.NextDouble(), exponent)).ToArray();
        return new ImageBatch(new CsrMatrix(f.Rows, f.Columns, f.RowOffsets, f.ColumnIndices, values));
    }

    [Fact]
    public void PowerOfTwoWeightsWithGeneralInputsAndBiasesStayBitIdentical()
    {
        // Weights ±1/8 .. ±2, biases and inputs general floats: every product exact, every sum
        // rounding, so the fused path matches the reference only if the fma is taken exactly.
        // (The rounded path's bits on sums that round: the tiled kernel's
        // GeneralNetworksMatchTheReferenceBitForBitOrAreRefused(dyadic: false).)
        var shape = new RandomNetworkOptions { Neurons = 160, Layers = 5, MeanRowNonZeros = 12, MinBias = -0.3f, MaxBias = 0.2f };
        var network = PowerOfTwoNetwork(3, shape, -3, 1);
        Assert.NotEqual(ExactProducts.Never, ExactProducts.Bounds(network.GetLayer(0).Weights.Values));
        var images = FullSignificands(RandomNetworkGenerator.RandomImages(3, 40, shape.Neurons, 0.3), 0, 3);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        using var engine = Simulator(fused: true);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    [Fact]
    public void ProductsThatWouldUnderflowKeepTheRoundedPath()
    {
        // Weights ±2^-100 .. 2^-80 and inputs near 2^-40: many products fall below 2^-126 and
        // lose bits while the sums grow past it, so fused multiply-adds would round differently.
        var shape = new RandomNetworkOptions { Neurons = 128, Layers = 1, MeanRowNonZeros = 16, MinBias = 0f, MaxBias = 0f };
        var network = PowerOfTwoNetwork(4, shape, -100, -80);
        var images = FullSignificands(RandomNetworkGenerator.RandomImages(4, 40, shape.Neurons, 0.4), -40, 4);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        // The data must be able to tell the paths apart: some row's fused sum differs.
        Assert.True(FusedSumsDiffer(network.GetLayer(0), images), "the test data cannot tell fused from rounded sums");
        using var engine = Simulator(fused: true);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    /// <summary>Whether any output sum of the layer computed with fused multiply-adds differs from the rounded one.</summary>
    private static bool FusedSumsDiffer(NetworkLayer layer, ImageBatch images)
    {
        var w = layer.Weights;
        var f = images.Features;
        for (int image = 0; image < f.Rows; image++)
        {
            var y = new float[w.Columns];
            var cols = f.RowIndices(image);
            var vals = f.RowValues(image);
            for (int k = 0; k < cols.Length; k++) y[cols[k]] = vals[k];
            var fused = new float[w.Columns];
            var rounded = new float[w.Columns];
            for (int i = 0; i < w.Rows; i++)
            {
                var js = w.RowIndices(i);
                var ws = w.RowValues(i);
                for (int k = 0; k < js.Length; k++)
                {
                    fused[js[k]] = MathF.FusedMultiplyAdd(y[i], ws[k], fused[js[k]]);
                    rounded[js[k]] += y[i] * ws[k];
                }
            }
            for (int j = 0; j < w.Columns; j++)
                if (BitConverter.SingleToInt32Bits(fused[j]) != BitConverter.SingleToInt32Bits(rounded[j])) return true;
        }
        return false;
    }
}
