using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The first layer read from binary images kept as bits (<see cref="ImageBitsKernel"/>) against the
/// reference, bit for bit, and against the same engine reading expanded features (bits=off).
/// </summary>
public sealed class ImageBitsKernelTests
{
    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    private static GpuEngine Engine(bool bits, FeatureRows rows = FeatureRows.Distinct, bool fused = true) => new(new GpuEngineOptions
    {
        Accelerator = GpuAcceleratorChoice.CpuSimulator,
        ImageBits = bits,
        Rows = rows,
        FusedProducts = fused,
    });

    [Theory]
    [InlineData(0.3f, true)]   // non-dyadic value and weights: every product rounds
    [InlineData(1f, true)]
    [InlineData(2f, false)]    // rounded products where fused ones would be exact
    public void NonDyadicNetworksGiveTheReferenceResultFromBits(float value, bool fused)
    {
        // Uneven rows, empty rows, biases of both signs; 70 images: two whole tiles of 32 and a
        // partial one; three layers, so the rows the first layer keeps are compacted and read on.
        var shape = new RandomNetworkOptions { Neurons = 96, Layers = 3, MeanRowNonZeros = 10, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(31, shape));
        var images = RandomNetworkGenerator.RandomImages(31, 70, shape.Neurons, 0.3, value, binary: true);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        foreach (bool bits in new[] { true, false })
        {
            using var engine = Engine(bits, fused: fused);
            var actual = engine.Infer(network, images, Keep);
            Assert.Equal(bits ? "bits" : "bitmap", actual.Details["images"]);
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        }
    }

    [Theory]
    [InlineData(FeatureRows.All)]
    [InlineData(FeatureRows.Distinct)]
    public void AChallengeShapedFirstLayerWithCopiesGivesTheReferenceResultFromBits(FeatureRows rows)
    {
        // Kronecker copies: outputs equal by construction, written as copies (all rows) or stored once (distinct rows).
        var network = InMemoryNetwork.Load(new ChallengeNetworkGenerator(1024, 2));
        var images = RandomNetworkGenerator.RandomImages(5, 40, 1024, 0.2, 1f, binary: true);
        var expected = EngineConformanceTests.RunReference(network, images);

        using var engine = Engine(bits: true, rows);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("bits", actual.Details["images"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    [Fact]
    public void ImagesOfSeveralValuesAreExpandedAndTheFirstLayerReadsFeatures()
    {
        var network = RandomGeneralNetwork.Create(8, dyadic: false, ReadOut.NonzeroRows, layers: 2);
        var images = RandomGeneralNetwork.Images(8, 45, network.Neurons, dyadic: false);
        var expected = EngineConformanceTests.RunReference(network, images);

        using var engine = Engine(bits: true);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("sparse rows", actual.Details["images"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }
}
