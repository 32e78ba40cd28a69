using SpDnn.Distributed;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Engines;

namespace SpDnn.Tests.Distributed;

/// <summary>
/// Several GPU engines in one process, each on its own ILGPU CPU simulator standing in for a
/// GPU: the same partition, re-balance and merge code a multi-GPU host runs. The simulator is
/// slow, so this checks a few small cases; the full engine contract of the multi-device path is
/// checked with reference engines (<see cref="MultiDeviceEngineTests"/>).
/// </summary>
public sealed class MultiGpuSimulatorTests
{
    [Fact]
    public void SimulatedGpusGiveTheReferenceResultWithARebalance()
    {
        using var engine = new MultiDeviceEngine(
            [.. Enumerable.Range(0, 2).Select(_ => new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator }))],
            [1.0, 2.0], rebalanceAfterLayer: 2);
        // One network: the partition, re-balance and merge do not depend on the weights, and
        // MultiDeviceEngineTests runs many with reference engines.
        var options = new RandomNetworkOptions { Neurons = 64, Layers = 5, MeanRowNonZeros = 5, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(0, options));
        var images = RandomNetworkGenerator.RandomImages(0, 25, options.Neurons, 0.08, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal("gpu (2 devices)", actual.Engine);
    }
}
