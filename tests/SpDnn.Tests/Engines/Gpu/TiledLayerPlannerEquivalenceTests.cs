using System.Runtime.InteropServices;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The planner gives, array for array and bit for bit, the layout of <see cref="ReferenceTiledLayerPlanner"/>;
/// and every planner the same layouts from a layer's lists by output as from its transpose.
/// </summary>
public sealed class TiledLayerPlannerEquivalenceTests
{
    [Theory]
    [InlineData(1024, 0)]
    [InlineData(1024, 5)]
    [InlineData(1024, 7)]
    [InlineData(1024, 66)]
    [InlineData(1024, 119)]
    [InlineData(4096, 0)]
    [InlineData(4096, 9)]
    [InlineData(4096, 23)]
    public void ChallengeLayersPlanAsTheReferenceDoes(int neurons, int layer)
    {
        var network = new ChallengeNetworkGenerator(neurons, 120);
        AssertSameLayout(network.GetLayer(layer));
    }

    [Theory]
    [InlineData(1, 300, 6, 0.05)]      // N not a multiple of 256
    [InlineData(2, 700, 40, 0.05)]     // several stages per block
    [InlineData(3, 1000, 1, 0.3)]      // many empty rows and empty columns
    [InlineData(4, 2000, 60, 0.1)]     // footprints of several stages, lanes spread over them
    [InlineData(5, 5000, 150, 0.02)]   // ten stages per block
    [InlineData(6, 257, 128, 0.5)]     // one output in the last block
    [InlineData(7, 512, 0, 0)]         // no weights at all
    [InlineData(8, 1, 1, 0)]
    [InlineData(9, 65536, 1, 0.8)]     // blocks of few inputs next to a wide layer
    public void RandomLayersWithUnevenRowsPlanAsTheReferenceDoes(int seed, int neurons, int meanRow, double emptyRows)
    {
        var options = new RandomNetworkOptions { Neurons = neurons, Layers = 1, MeanRowNonZeros = meanRow, EmptyRowFraction = emptyRows };
        AssertSameLayout(new RandomNetworkGenerator(seed, options).GetLayer(0));
    }

    [Theory]
    [InlineData(600)]
    [InlineData(1300)]
    public void OutputsWithEqualEmptyAndPrefixInputListsPlanAsTheReferenceDoes(int neurons)
    {
        // Lists that are equal, empty, or prefixes of one another, interleaved over the outputs:
        // the clustered order must break every such tie as the reference does.
        var rng = new Random(neurons);
        var shared = Enumerable.Range(0, neurons).OrderBy(_ => rng.Next()).Take(40).Order().ToArray();
        var rows = new List<int>();
        var cols = new List<int>();
        for (int j = 0; j < neurons; j++)
        {
            IEnumerable<int> inputs = (j % 6) switch
            {
                0 => [],
                1 => shared,
                2 => shared.Take(1 + j % 40),
                3 => shared.Skip(j % 5),
                4 => Enumerable.Range(0, neurons).Where(_ => rng.Next(8) == 0),
                _ => shared.Take(20).Append(j * 7 % neurons).Distinct(),
            };
            foreach (int i in inputs)
            {
                rows.Add(i);
                cols.Add(j);
            }
        }
        var values = Enumerable.Range(0, rows.Count).Select(e => 1f + e / 4096f).ToArray();
        var w = CsrMatrix.FromCoordinates(neurons, neurons, rows.ToArray(), cols.ToArray(), values);
        AssertSameLayout(new NetworkLayer(0, w, NetworkLayer.ConstantBias(neurons, -0.3f)));
    }

    [Theory]
    [InlineData(1024, 3)]
    [InlineData(1024, 20)]
    [InlineData(4096, 30)]
    public void ChallengeLayersListedByOutputPlanAsTheReferenceDoes(int neurons, int layer)
    {
        // The generator's lists by output (no transpose) against the reference planner's transpose.
        var listed = ((IOutputListLayerSource)new ChallengeNetworkGenerator(neurons, layer + 1)).GetLayerWithOutputs(layer);
        Assert.NotNull(listed.ByOutput);
        AssertSameLayout(listed);
    }

    [Fact]
    public void EveryLayoutOfALayerListedByOutputIsTheLayoutOfItsTranspose()
    {
        // Resident-input (merged or not, split, in parts) and column-lane layouts of a general
        // layer and of a challenge one (duplicate outputs), from the lists by output and without.
        foreach (var listed in new[]
        {
            ((IOutputListLayerSource)new GeneralNetworkGenerator(700, 1)).GetLayerWithOutputs(0),
            ((IOutputListLayerSource)new ChallengeNetworkGenerator(1024, 9)).GetLayerWithOutputs(8),
        })
        {
            var plain = new NetworkLayer(listed.Index, listed.Weights, listed.Bias);
            Assert.NotNull(listed.ByOutput);
            Assert.Null(plain.ByOutput);
            AssertEqual(ResidentLayerPlanner.Plan(plain, mergeDuplicates: true), ResidentLayerPlanner.Plan(listed, mergeDuplicates: true));
            AssertEqual(ResidentLayerPlanner.Plan(plain, mergeDuplicates: false), ResidentLayerPlanner.Plan(listed, mergeDuplicates: false));
            AssertEqual(ResidentLayerPlanner.Plan(plain, true, splitLanes: 4), ResidentLayerPlanner.Plan(listed, true, splitLanes: 4));
            AssertEqual(ResidentLayerPlanner.Plan(plain, true, partInputs: 300), ResidentLayerPlanner.Plan(listed, true, partInputs: 300));
            AssertEqual(ColumnLaneLayerPlanner.Plan(plain, mergeDuplicates: true), ColumnLaneLayerPlanner.Plan(listed, mergeDuplicates: true));
            var (full, merged) = TiledLayerPlanner.PlanBoth(plain);
            var (listedFull, listedMerged) = TiledLayerPlanner.PlanBoth(listed);
            AssertEqual(full, listedFull);
            Assert.Equal(merged is null, listedMerged is null);
            if (merged is not null) AssertEqual(merged, listedMerged!);
        }
    }

    [Fact]
    public void TheChunkPlannerPlansAGeneratedNetworkFromItsListsAsFromItsLayersInMemory()
    {
        // Layer after layer, as the plan's workers go: the generator reads each layer (both orders)
        // into the arrays of the one before; every layout (tiled, merged, resident-input,
        // column-lane, tail) equals the one planned by transposing the same layer held in memory.
        var generator = new ChallengeNetworkGenerator(1024, 14);
        var held = InMemoryNetwork.Load(generator);
        var options = new GpuEngineOptions { Kernel = FullWidthKernel.Resident, MergeDuplicateOutputs = DuplicateOutputMerge.Auto, TailProgram = TailProgramLayers.On };
        var fromLists = new ChunkPlanner(generator, options, residentColumns: 3, columnLanes: true, tail: true, splitLanes: 0);
        var fromHeld = new ChunkPlanner(held, options, residentColumns: 3, columnLanes: true, tail: true, splitLanes: 0);
        for (int k = 0; k < generator.LayerCount; k++)
        {
            using var listed = fromLists.PlanLayer(k);
            using var transposed = fromHeld.PlanLayer(k);
            Assert.Equal(transposed.Planned, listed.Planned);
            AssertEqual(transposed.Full.ToTiledLayer(), listed.Full.ToTiledLayer());
            AssertEqual(transposed.Merged.ToTiledLayer(), listed.Merged.ToTiledLayer());
            AssertEqual(transposed.Resident!, listed.Resident!);
            AssertEqual(transposed.ColumnLanes!, listed.ColumnLanes!);
            AssertEqual(transposed.Tail!, listed.Tail!);
        }
    }

    /// <summary>Every field of two layouts of the current planners.</summary>
    private static void AssertEqual(TiledLayer expected, TiledLayer actual)
    {
        AssertSameArrays(expected, actual);
        Assert.Equal(expected.Inputs, actual.Inputs);
        Assert.Equal(expected.ComputedNonZeros, actual.ComputedNonZeros);
        Assert.Equal(expected.CopyStarts, actual.CopyStarts);
        Assert.Equal(expected.Copies, actual.Copies);
    }

    /// <summary>What the reference planner sets (not inputs, computed nonzeros or copies): sizes and the layout's arrays, bit for bit.</summary>
    internal static void AssertSameArrays(TiledLayer expected, TiledLayer actual)
    {
        Assert.Equal(expected.Neurons, actual.Neurons);
        Assert.Equal(expected.NonZeros, actual.NonZeros);
        Assert.Equal(expected.Outputs, actual.Outputs);
        Assert.Equal(expected.BlockStages, actual.BlockStages);
        Assert.Equal(expected.StageStarts, actual.StageStarts);
        Assert.Equal(expected.Footprint, actual.Footprint);
        Assert.Equal(expected.WarpRows, actual.WarpRows);
        Assert.Equal(expected.SlotIndex, actual.SlotIndex);
        Assert.Equal(Bits(expected.SlotValue), Bits(actual.SlotValue));
        Assert.Equal(Bits(expected.Bias), Bits(actual.Bias));
    }

    private static void AssertSameLayout(NetworkLayer layer)
    {
        foreach (bool cluster in new[] { true, false })
            AssertSameArrays(ReferenceTiledLayerPlanner.Plan(layer, cluster), TiledLayerPlanner.Plan(layer, cluster, mergeDuplicates: false));
    }

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values).ToArray();
}
