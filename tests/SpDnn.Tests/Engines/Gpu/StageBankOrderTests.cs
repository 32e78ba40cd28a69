using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>The resident-input stage placed for its reads (<see cref="StageBankOrder"/>): fewer conflicting reads, the same sums.</summary>
public sealed class StageBankOrderTests
{
    private static NetworkLayer GeneralLayer(int neurons, int seed)
    {
        // Every output reads 32 random inputs (the general family's shape).
        var shape = new RandomNetworkOptions { Neurons = neurons, Layers = 1, MeanRowNonZeros = 32, MinWeight = -0.65f, MaxWeight = 0.65f, MinBias = -0.05f, MaxBias = -0.05f };
        return InMemoryNetwork.Load(new RandomNetworkGenerator(seed, shape)).GetLayer(0);
    }

    [Theory]
    [InlineData(32, 0.80)] // three columns: 4-byte reads, a warp a phase (random: ~3.4 reads; measured ordered ~2.5)
    [InlineData(16, 0.90)] // two columns: 8-byte reads, half-warps
    [InlineData(8, 0.92)]  // four, eight or sixteen columns: 16-byte reads, quarter-warps (~2.6 -> ~2.2)
    public void OrderedStagesTakeFewerReadsAPhase(int classes, double most)
    {
        var layer = GeneralLayer(2048, 5);
        var plain = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true);
        var ordered = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, bankClasses: classes);
        Assert.False(plain.ResidentStageOrder);
        Assert.True(ordered.ResidentStageOrder);
        long before = StageBankOrder.PhaseReads(plain.SlotIndex, plain.SlotValue, classes);
        long after = StageBankOrder.PhaseReads(ordered.SlotIndex, ordered.SlotValue, classes);
        Assert.True(after <= most * before, $"{after} reads against {before} without the order");
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(3, 8)]
    public void EverySlotStillReadsItsInputInTheSameOrder(int parts, int classes)
    {
        var layer = GeneralLayer(1000, 9);
        int partInputs = parts > 1 ? (1000 + parts - 1) / parts : 0;
        var plain = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, partInputs: partInputs);
        var ordered = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, partInputs: partInputs, bankClasses: classes);
        // The footprint is a permutation of each part's inputs.
        Assert.Equal(1000, ordered.Footprint.Length);
        int partSize = parts > 1 ? partInputs : 1000;
        for (int p = 0; p * partSize < 1000; p++)
        {
            int size = Math.Min(partSize, 1000 - p * partSize);
            Assert.Equal(Enumerable.Range(0, size), ordered.Footprint.AsSpan(p * partSize, size).ToArray().Order());
        }
        // Slot by slot the same weight, and the position holds the same input: the sums add the same products in the same order.
        Assert.Equal(plain.SlotValue, ordered.SlotValue);
        Assert.Equal(plain.WarpRows, ordered.WarpRows);
        Assert.Equal(plain.StageStarts, ordered.StageStarts);
        int rowsPerStage = TiledLayout.WarpsPerBlock;
        for (int b = 0; b < plain.Blocks; b++)
            for (int p = 0; p < parts; p++)
            {
                int s = b * parts + p, first = plain.StageStarts[s];
                for (long slot = (long)plain.WarpRows[s * rowsPerStage] * 32; slot < (long)plain.WarpRows[(s + 1) * rowsPerStage] * 32; slot++)
                    Assert.Equal(plain.SlotIndex[slot], ordered.Footprint[first + ordered.SlotIndex[slot]]);
            }
    }

    [Fact]
    public void ClassesAreBalancedSoEveryPositionIsUsedOnce()
    {
        var layer = GeneralLayer(999, 3);
        var positions = new int[999];
        var plain = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true);
        var order = StageBankOrder.Order(plain.SlotIndex, plain.SlotValue, 999, 32, positions);
        Assert.Equal(Enumerable.Range(0, 999), positions.Order());
        for (int i = 0; i < 999; i++) Assert.Equal(i, order[positions[i]]);
    }

    [Fact]
    public void OtherPhaseWidthsAreRefused()
    {
        var layer = GeneralLayer(64, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, bankClasses: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, splitLanes: 4, bankClasses: 8));
    }
}
