using System.Runtime.CompilerServices;
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
/// <para>
/// A wide layer's inputs are cut into <see cref="Blocks"/> ranges of consecutive inputs, each laid
/// out as above (sorted by the length of the columns' part in that range): the kernels run every
/// output over the first range, keep the unfinished sums in the output tile, go on from them over
/// the next range, and finish after the last. The tiles' rows of one range then stay in the core's
/// L2 cache while it is read at random (four tiles of 4096 inputs are 1 MB, the whole L2 of a
/// Zen 5 core). Each sum still adds its products in ascending input order: a range's inputs all
/// come after the previous range's.
/// </para>
/// </summary>
internal sealed class ColumnGroups
{
    /// <summary>Outputs per group: four sums in flight, as the layer order's gather keeps.</summary>
    public const int Size = 4;

    private ColumnGroups(int inputs, int outputs, int blocks, int[] blockStarts, int[] order, int[] groupSlots, int[] slotTileOffsets, float[] slotWeights, float[] slotBias)
    {
        Inputs = inputs;
        Outputs = outputs;
        Blocks = blocks;
        BlockStarts = blockStarts;
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

    /// <summary>Ranges of consecutive inputs the layer's gather runs one after another (1: the whole layer at once).</summary>
    public int Blocks { get; }

    /// <summary>First input of each range, and <see cref="Inputs"/> at the end (Blocks + 1 entries).</summary>
    public int[] BlockStarts { get; }

    /// <summary>Groups of each range: every range lists every output once.</summary>
    public int Groups => (Outputs + Size - 1) / Size;

    /// <summary>
    /// The output of each group position (Size per group, range after range), longest column
    /// part first within a range; positions past the layer's outputs (each range's last group's)
    /// hold <see cref="Outputs"/>: a row the run zeroes again after the layer.
    /// </summary>
    public int[] Order { get; }

    /// <summary>Group g (counted over all ranges: range b's are b·Groups ..) owns slots GroupSlots[g] .. GroupSlots[g+1]-1.</summary>
    public int[] GroupSlots { get; }

    /// <summary>Per slot, per group position: the input's offset in a tile (input · 16).</summary>
    public int[] SlotTileOffsets { get; }

    /// <summary>Per slot, per group position: the weight (+0 in padding).</summary>
    public float[] SlotWeights { get; }

    /// <summary>Per group position (of every range, as <see cref="Order"/>): the output's bias (0 for positions past the outputs).</summary>
    public float[] GroupBias { get; }

    /// <summary>
    /// The same groups (outputs, their order, ranges and bias) without the entries on the inputs
    /// where <paramref name="dropped"/> is set; each group's columns are packed again and padded to
    /// its new longest. Exact for a tile that holds ±0 on every dropped input: those products are ±0,
    /// and adding ±0 leaves each sum as it was (a sum that starts at +0 never becomes -0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ColumnGroups WithoutInputs(ReadOnlySpan<bool> dropped)
    {
        // One pass: each group's kept entries are packed where the group now starts (never past
        // where it started before), the arrays keep their length and GroupSlots bounds what is read.
        const int G = Size;
        int pad = Inputs * CpuLayerPlan.TileWidth;
        int all = GroupSlots.Length - 1;
        var groupSlots = new int[all + 1];
        var offsets = new int[SlotTileOffsets.Length];
        var weights = new float[SlotWeights.Length];
        Span<int> length = stackalloc int[G];
        for (int g = 0; g < all; g++)
        {
            long start = (long)groupSlots[g] * G;
            length.Clear();
            for (long p = (long)GroupSlots[g] * G, end = (long)GroupSlots[g + 1] * G; p < end; p += G)
                for (int m = 0; m < G; m++)
                {
                    int offset = SlotTileOffsets[p + m];
                    if (offset == pad || dropped[offset / CpuLayerPlan.TileWidth]) continue;
                    long at = start + (long)length[m]++ * G + m;
                    offsets[at] = offset;
                    weights[at] = SlotWeights[p + m];
                }
            int longest = Math.Max(Math.Max(length[0], length[1]), Math.Max(length[2], length[3]));
            for (int m = 0; m < G; m++)
                for (int t = length[m]; t < longest; t++) offsets[start + (long)t * G + m] = pad;
            groupSlots[g + 1] = groupSlots[g] + longest;
        }
        return new ColumnGroups(Inputs, Outputs, Blocks, BlockStarts, Order, groupSlots, offsets, weights, GroupBias);
    }

    /// <summary>The groups of a layer given by its columns (row j: the ascending inputs and weights of output j).</summary>
    /// <param name="inputs">Inputs of the layer: the padding reads tile row <paramref name="inputs"/>.</param>
    /// <param name="maxBlockInputs">Most inputs per range (the ranges split the inputs evenly); 0 or at least <paramref name="inputs"/>: one range.</param>
    public static ColumnGroups Build(CsrMatrix columns, float[] bias, int inputs, int maxBlockInputs = 0)
    {
        int n = columns.Rows;
        int blocks = maxBlockInputs <= 0 || maxBlockInputs >= inputs ? 1 : (inputs + maxBlockInputs - 1) / maxBlockInputs;
        int blockInputs = (inputs + blocks - 1) / blocks;
        var starts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) starts[b] = Math.Min(inputs, b * blockInputs);
        // Each column's part in each range: [cut[j·(blocks+1) + b], cut[j·(blocks+1) + b + 1]) of its entries.
        var cut = new int[(long)n * (blocks + 1)];
        for (int j = 0; j < n; j++)
        {
            var ins = columns.RowIndices(j);
            int p = 0;
            for (int b = 0; b <= blocks; b++)
            {
                while (p < ins.Length && ins[p] < starts[b]) p++;
                cut[(long)j * (blocks + 1) + b] = b == blocks ? ins.Length : p;
            }
        }
        int Length(int j, int b) => j < n ? cut[(long)j * (blocks + 1) + b + 1] - cut[(long)j * (blocks + 1) + b] : 0;

        int groups = (n + Size - 1) / Size;
        int positions = groups * Size;
        var order = new int[blocks * positions];
        var groupSlots = new int[blocks * groups + 1];
        for (int b = 0; b < blocks; b++)
        {
            var range = order.AsSpan(b * positions, positions);
            for (int j = 0; j < positions; j++) range[j] = j < n ? j : n;
            // Longest first; equal lengths keep output order, so the layout is deterministic.
            int block = b;
            range[..n].Sort((x, y) => Length(x, block) != Length(y, block) ? Length(y, block).CompareTo(Length(x, block)) : x.CompareTo(y));
            for (int g = 0; g < groups; g++)
                groupSlots[b * groups + g + 1] = groupSlots[b * groups + g] + Length(range[g * Size], b);
        }

        long entries = (long)groupSlots[^1] * Size;
        var tileOffsets = new int[entries];
        var weights = new float[entries];
        var groupBias = new float[order.Length];
        int pad = inputs * CpuLayerPlan.TileWidth;
        for (int b = 0; b < blocks; b++)
        {
            for (int g = 0; g < groups; g++)
            {
                int group = b * groups + g;
                for (int m = 0; m < Size; m++)
                {
                    int at = group * Size + m;
                    int j = order[at];
                    int length = Length(j, b);
                    int from = j < n ? cut[(long)j * (blocks + 1) + b] : 0;
                    var ins = j < n ? columns.RowIndices(j) : default;
                    var ws = j < n ? columns.RowValues(j) : default;
                    if (j < n) groupBias[at] = bias[j];
                    for (int s = groupSlots[group], t = 0; s < groupSlots[group + 1]; s++, t++)
                    {
                        long slot = (long)s * Size + m;
                        tileOffsets[slot] = t < length ? ins[from + t] * CpuLayerPlan.TileWidth : pad;
                        weights[slot] = t < length ? ws[from + t] : 0f;
                    }
                }
            }
        }
        return new ColumnGroups(inputs, n, blocks, starts, order, groupSlots, tileOffsets, weights, groupBias);
    }
}
