using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// A layer's columns laid out for the dense-tile gather of the tile-by-tile order
/// (<see cref="LayerKernels.GatherGroups"/>): outputs sorted by column length (longest first) and
/// taken <see cref="Size"/> at a time; a group's columns are interleaved slot by slot (slot s holds
/// each output's s-th input, ascending, and its weight), so one pointer walks all of them and the
/// kernel keeps <see cref="Size"/> sums in flight. Columns shorter than their group's longest are
/// padded with weight +0 on input <see cref="Inputs"/>, a tile row the run keeps zero: the padding
/// adds +0·+0 = +0, which leaves every sum as the reference's whatever the other inputs hold
/// (NaN and ∞ included). Sorting keeps the padding small; the output order does not change any sum.
/// </summary>
internal sealed class ColumnGroups
{
    /// <summary>Outputs per group: four sums in flight, as the layer order's gather keeps.</summary>
    public const int Size = 4;

    private ColumnGroups(int inputs, int outputs, int[] order, int[] groupSlots, int[] slotTileOffsets, float[] slotWeights, float[] slotBias)
    {
        Inputs = inputs;
        Outputs = outputs;
        Order = order;
        GroupSlots = groupSlots;
        SlotTileOffsets = slotTileOffsets;
        SlotWeights = slotWeights;
        GroupBias = slotBias;
    }

    /// <summary>Outputs computed (the layer plan's <see cref="CpuLayerPlan.Neurons"/>).</summary>
    public int Outputs { get; }

    /// <summary>Inputs of the layer. The padding reads tile row <see cref="Inputs"/>, just past them, which the run keeps zero.</summary>
    public int Inputs { get; }

    /// <summary>
    /// The output of each group position (Size per group), longest column first; positions past
    /// the layer's outputs (the last group's) hold <see cref="Outputs"/>: a row the run zeroes again after the layer.
    /// </summary>
    public int[] Order { get; }

    /// <summary>Group g owns slots GroupSlots[g] .. GroupSlots[g+1]-1.</summary>
    public int[] GroupSlots { get; }

    /// <summary>Per slot, per group position: the input's offset in a tile (input · 16).</summary>
    public int[] SlotTileOffsets { get; }

    /// <summary>Per slot, per group position: the weight (+0 in padding).</summary>
    public float[] SlotWeights { get; }

    /// <summary>Per group position: the output's bias (0 for positions past the outputs).</summary>
    public float[] GroupBias { get; }

    public int Groups => GroupSlots.Length - 1;

    /// <summary>The groups of a layer given by its columns (row j: the ascending inputs and weights of output j).</summary>
    /// <param name="inputs">Inputs of the layer: the padding reads tile row <paramref name="inputs"/>.</param>
    public static ColumnGroups Build(CsrMatrix columns, float[] bias, int inputs)
    {
        int n = columns.Rows;
        int groups = (n + Size - 1) / Size;
        var order = new int[groups * Size];
        for (int j = 0; j < n; j++) order[j] = j;
        // Longest first; equal lengths keep output order, so the layout is deterministic.
        Array.Sort(order, 0, n, Comparer<int>.Create((a, b) => columns.RowLength(a) != columns.RowLength(b)
            ? columns.RowLength(b).CompareTo(columns.RowLength(a)) : a.CompareTo(b)));
        for (int p = n; p < order.Length; p++) order[p] = n;

        var groupSlots = new int[groups + 1];
        for (int g = 0; g < groups; g++) groupSlots[g + 1] = groupSlots[g] + columns.RowLength(order[g * Size]);
        long entries = (long)groupSlots[groups] * Size;
        var tileOffsets = new int[entries];
        var weights = new float[entries];
        var groupBias = new float[order.Length];
        int pad = inputs * CpuLayerPlan.TileWidth;
        for (int g = 0; g < groups; g++)
        {
            for (int m = 0; m < Size; m++)
            {
                int j = order[g * Size + m];
                int length = j < n ? columns.RowLength(j) : 0;
                var ins = j < n ? columns.RowIndices(j) : default;
                var ws = j < n ? columns.RowValues(j) : default;
                if (j < n) groupBias[g * Size + m] = bias[j];
                for (int s = groupSlots[g], t = 0; s < groupSlots[g + 1]; s++, t++)
                {
                    long at = (long)s * Size + m;
                    tileOffsets[at] = t < length ? ins[t] * CpuLayerPlan.TileWidth : pad;
                    weights[at] = t < length ? ws[t] : 0f;
                }
            }
        }
        return new ColumnGroups(inputs, n, order, groupSlots, tileOffsets, weights, groupBias);
    }
}
