using System.Runtime.CompilerServices;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// A layer's column groups without the inputs that were ±0 in every tile the run has seen so far
/// (neurons of the previous layer dead on the data: in the pruned 784-4096x4-10 MNIST model 15-25%
/// of the later layers' weights sit on such rows), and those inputs' rows, which a tile must hold
/// ±0 on to use them (<see cref="LayerKernels.ZeroOnRows"/>): a tile that does not runs the
/// layer's whole groups. So the result is exact whatever the later tiles hold; what was learned
/// decides only the speed.
/// </summary>
internal sealed class DeadInputs
{
    /// <summary>
    /// Share of a layer's weights the dead inputs must carry before a layout without them is built:
    /// below it the check per tile and the building cost more than the products saved.
    /// </summary>
    public const double MinWeightShare = 0.05;

    /// <summary>
    /// Work items that run the whole layouts and learn which inputs stay zero before the layouts
    /// without them are built: a sixteenth of the run, at least two, when at least 16 items are
    /// left to profit and there are at least as many as <paramref name="workers"/>;
    /// <paramref name="asked"/> when positive, none (never built: int.MaxValue) when negative.
    /// With fewer learning items than workers the layouts come too late to pay: the workers start
    /// an item each at once, so the learning ends after about one item per worker, and one worker
    /// then builds the layouts alone (the wide 784-4x4096-10 model: 9 learning items of 157, 70 ms
    /// to build on one core of the 2-core machine, where 16 workers run the whole batch in ~0.15 s
    /// on the H200 host): by estimate, what they save in the rest of the run (~5% of its products,
    /// on part of it) does not cover the builder's time (not measured on 16 cores).
    /// </summary>
    public static int LearningItems(int asked, int items, int workers)
    {
        if (asked != 0) return asked > 0 ? asked : int.MaxValue;
        int learning = Math.Max(2, items / 16);
        return items - learning >= 16 && learning >= workers ? learning : int.MaxValue;
    }

    private DeadInputs(ColumnGroups groups, int[] rowOffsets, long weights)
    {
        Groups = groups;
        RowOffsets = rowOffsets;
        Weights = weights;
    }

    /// <summary>The layer's groups without the dead inputs' entries.</summary>
    public ColumnGroups Groups { get; }

    /// <summary>Tile offsets (input · 16) of the dead inputs that carry weights: what a tile must be ±0 on.</summary>
    public int[] RowOffsets { get; }

    /// <summary>Weights on the dead inputs (left out of <see cref="Groups"/>).</summary>
    public long Weights { get; }

    /// <summary>
    /// The layout without the inputs no bitmap in <paramref name="seen"/> marks (bit i: input i was
    /// nonzero in some tile), or null when they carry less than <see cref="MinWeightShare"/> of the layer's weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DeadInputs? Find(CpuLayerPlan layer, IEnumerable<ulong[]> seen)
    {
        int inputs = layer.Inputs;
        var dead = new bool[inputs];
        Array.Fill(dead, true);
        foreach (var bits in seen)
            for (int i = 0; i < inputs; i++)
                if ((bits[i >> 6] >> i & 1) != 0) dead[i] = false;
        var rows = layer.Rows;
        long weights = 0;
        var offsets = new List<int>();
        for (int i = 0; i < inputs; i++)
        {
            if (!dead[i] || rows.RowLength(i) == 0) continue;
            weights += rows.RowLength(i);
            offsets.Add(i * CpuLayerPlan.TileWidth);
        }
        if (weights < MinWeightShare * Math.Max(1, layer.NonZeros)) return null;
        return new DeadInputs(layer.Groups!.WithoutInputs(dead), [.. offsets], weights);
    }
}
