using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines;

public sealed class ReferenceEngineTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new ReferenceEngine();

    protected override int RandomSeeds => 6;

    [Fact]
    public void SingleAndDoublePrecisionAgreeOnDyadicData()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(11, new RandomNetworkOptions { Neurons = 96, Layers = 10, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f }));
        var images = RandomNetworkGenerator.RandomImages(11, 80, 96, 0.15);
        var engine = new ReferenceEngine();
        var single = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        var dbl = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Precision = Precision.Double });
        Assert.Equal(single.Categories, dbl.Categories);
        Assert.True(single.FinalFeatures!.ContentEquals(dbl.FinalFeatures!));
        Assert.NotEmpty(single.Categories);
    }

    [Fact]
    public void ComputesAHandWorkedExample()
    {
        // Two neurons; W = [[1, 2], [0, -1]] (row = input), bias -1 on both.
        var w = CsrMatrix.FromCoordinates(2, 2, [0, 0, 1], [0, 1, 1], [1f, 2f, -1f]);
        var network = new InMemoryNetwork([new NetworkLayer(0, w, [-1f, -1f])]);
        // y = [3, 1] → z = [3, 6 - 1] = [3, 5] → [2, 4].  y = [0, 5] → z = [0, -5] → [0, 0] → dead.
        var images = new ImageBatch(CsrMatrix.FromCoordinates(2, 2, [0, 0, 1], [0, 1, 1], [3f, 1f, 5f]));
        var result = new ReferenceEngine().Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        Assert.Equal([1], result.Categories);
        Assert.Equal([2f, 4f], result.FinalFeatures!.RowValues(0).ToArray());
        Assert.Equal(images.Count * 3.0, result.Edges);
    }
}
