using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Engines.Reference;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Generation;

/// <summary>
/// A layer's weights by output (<see cref="NetworkLayer.ByOutput"/>), which the generators make
/// for planners instead of a transpose: the transpose of the layer in every layer of both
/// generators, also when made into the arrays of a layer given out before; never stale; and the
/// CPU engine planned from it gives the reference's bits.
/// </summary>
public sealed class WeightsByOutputTests
{
    [Theory]
    [InlineData(1024, 0, 14)]    // the unpermuted first block and the first permuted one
    [InlineData(1024, 110, 10)]
    [InlineData(4096, 0, 2)]
    [InlineData(4096, 40, 9)]
    [InlineData(16384, 121, 1)]
    public void TheChallengeGeneratorsListsByOutputAreTheTransposeOfEveryLayer(int neurons, int first, int count)
    {
        IOutputListLayerSource generator = new ChallengeNetworkGenerator(neurons, first + count);
        NetworkLayer? done = null;
        for (int k = first; k < first + count; k++)
        {
            var fresh = generator.GetLayerWithOutputs(k);
            AssertTransposed(fresh);
            Assert.True(fresh.Weights.ContentEquals(generator.GetLayer(k).Weights));
            // Into the arrays of the layer before (both orders), as the GPU planner asks.
            var recycled = generator.GetLayerWithOutputs(k, done);
            Assert.True(fresh.ByOutput!.ContentEquals(recycled.ByOutput!));
            Assert.True(fresh.Weights.ContentEquals(recycled.Weights));
            if (done is not null)
            {
                Assert.Same(done.ByOutput!.ColumnIndices, recycled.ByOutput!.ColumnIndices);
                Assert.Same(done.Weights.ColumnIndices, recycled.Weights.ColumnIndices);
            }
            done = recycled;
        }
    }

    [Fact]
    public void TheGeneralGeneratorKeepsItsDrawnOrderOnlyWhenAsked()
    {
        var generator = new GeneralNetworkGenerator(300, 3);
        for (int k = 0; k < generator.LayerCount; k++)
        {
            var layer = ((IOutputListLayerSource)generator).GetLayerWithOutputs(k);
            AssertTransposed(layer);
            Assert.True(layer.Weights.ContentEquals(generator.GetLayer(k).Weights));
            Assert.Null(generator.GetLayer(k).ByOutput);
        }
    }

    [Fact]
    public void ALayerWhoseWeightsWereReplacedHasNoListsByOutput()
    {
        var layer = ((IOutputListLayerSource)new ChallengeNetworkGenerator(1024, 2)).GetLayerWithOutputs(1);
        Assert.NotNull(layer.ByOutput);
        Assert.NotNull((layer with { Bias = NetworkLayer.ConstantBias(1024, 0.5f) }).ByOutput);
        var w = layer.Weights;
        var changed = layer with { Weights = new CsrMatrix(w.Rows, w.Columns, w.RowOffsets, w.ColumnIndices, [.. w.Values.Select(v => -v)]) };
        Assert.Null(changed.ByOutput);
    }

    [Fact]
    public void ListsByOutputOfAnotherShapeAreRefused()
    {
        var w = new CsrMatrix(3, 2, [0, 1, 1, 2], [1, 0], [1f, 2f]);
        var layer = new NetworkLayer(0, w, [0f, 0f]);
        Assert.Throws<ArgumentException>(() => layer.WithByOutput(w));
        Assert.Throws<ArgumentException>(() => layer.WithByOutput(new CsrMatrix(2, 3, [0, 1, 1], [2], [1f])));
        Assert.True(layer.WithByOutput(w.Transpose()).ByOutput!.ContentEquals(w.Transpose()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheCpuEnginePlannedFromListsByOutputGivesTheReferenceBits(bool mergeDuplicates)
    {
        // A general network (the planner takes each layer's lists as drawn) and a challenge one
        // (lists from its structure), each against the reference engine on the same layers.
        var images = RandomNetworkGenerator.RandomImages(9, 40, 1024, 0.05, 1f);
        foreach (ILayerSource network in new ILayerSource[] { new GeneralNetworkGenerator(1024, 3), new ChallengeNetworkGenerator(1024, 12) })
        {
            var expected = new ReferenceEngine().Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
            using var engine = new CpuEngine(new CpuEngineOptions { MergeDuplicateOutputs = mergeDuplicates });
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Threads = 2 });
            Engines.CpuEngineTests.AssertSameAsReference(expected, actual, network.Description);
        }
    }

    private static void AssertTransposed(NetworkLayer layer)
    {
        var byOutput = Assert.IsType<CsrMatrix>(layer.ByOutput);
        Assert.True(layer.Weights.Transpose().ContentEquals(byOutput), $"layer {layer.Index + 1}: the lists by output are not the transpose");
    }
}
