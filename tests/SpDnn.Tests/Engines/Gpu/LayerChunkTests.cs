using SpDnn.Engines.Gpu;
using SpDnn.Generation;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>How a chunk lays its layers' arrays end to end.</summary>
public sealed class LayerChunkTests
{
    [Fact]
    public void EveryLayersSlotsStartWhereVectorReadsAreAligned()
    {
        // Kernels read a layer's slots as vectors of up to eight from its start: a layout whose
        // slot count is not a multiple of eight would misalign the next one, which the chunk refuses.
        var layer = new RandomNetworkGenerator(7, new RandomNetworkOptions { Neurons = 200, Layers = 1, MeanRowNonZeros = 9 }).GetLayer(0);
        var planned = ResidentLayerPlanner.Plan(layer, mergeDuplicates: false, vectorSlots: true);
        var aligned = new LayerChunk(0, [planned, planned], [planned, planned]);
        Assert.All(Enumerable.Range(0, aligned.Table.Length / LayerChunk.TableStride),
            row => Assert.Equal(0, aligned.Table[row * LayerChunk.TableStride + LayerChunk.SlotBase] % LayerChunk.SlotAlignment));

        var uneven = new TiledLayer
        {
            Neurons = planned.Neurons,
            Outputs = planned.Outputs,
            BlockStages = planned.BlockStages,
            StageStarts = planned.StageStarts,
            Footprint = planned.Footprint,
            WarpRows = planned.WarpRows,
            SlotIndex = planned.SlotIndex[..^4],
            SlotValue = planned.SlotValue[..^4],
            Bias = planned.Bias,
            Inputs = planned.Inputs,
            NonZeros = planned.NonZeros,
        };
        var error = Assert.Throws<InvalidOperationException>(() => new LayerChunk(3, [uneven, planned], [uneven, planned]));
        Assert.Contains("Layer 5's slots start at", error.Message);
        Assert.Contains("not a multiple of 8", error.Message);
    }
}
