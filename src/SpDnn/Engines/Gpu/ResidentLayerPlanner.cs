using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Plans a layer for <see cref="ResidentInputKernel"/>, which holds every input neuron of a tile
/// of live columns in shared memory: the <see cref="TiledLayer"/> arrays with one stage per
/// block and no footprint (a slot's index is the input neuron itself). Outputs keep their order
/// (or, with duplicates merged, representatives in output order), so a warp writes neighbouring
/// output rows; each lane's slots follow its list, as the reference sums them, padded to the
/// warp's longest list with zero weights (adding +0 or -0 leaves a sum unchanged: sums start at
/// +0 and never become -0). For <see cref="SplitColumnKernel"/> the slots of each warp row are
/// interleaved (<see cref="SplitSlot"/>), so that the P neighbouring lanes that share outputs read
/// their P outputs' slots as one vector.
/// With input parts (<see cref="Plan"/>'s partInputs), each block has one stage per part of the
/// inputs (StageStarts: the part's first input): the kernel stages one part at a time, so a
/// stage of the same size holds more columns; each lane's slots of a part index the part
/// (input - first), the parts in ascending order, so every sum still adds in ascending input
/// order. Threads are then ordered by their outputs' entry counts per part, so that the lanes
/// of a warp have lists of about the same length in every part (little padding).
/// With vector slots (<see cref="Plan"/>'s vectorSlots) each warp's rows come in fours, and a
/// lane's slots of four rows lie together (<see cref="VectorSlot"/>): the lane reads their four
/// indices as one 8-byte load and their weights as one 16-byte load, and a warp's load of four
/// rows is one contiguous run (256 and 512 bytes).
/// </summary>
internal static class ResidentLayerPlanner
{
    /// <summary>Largest layer width: slot indices are 16-bit input neurons.</summary>
    public const int MaxNeurons = ushort.MaxValue + 1;

    /// <param name="layer">The layer.</param>
    /// <param name="mergeDuplicates">Whether outputs equal by construction are computed once.</param>
    /// <param name="splitLanes">Lanes an output of <see cref="SplitColumnKernel"/> (4 or 8) the slots of each warp row are interleaved for; 0: none.</param>
    /// <param name="partInputs">Inputs per part (0, or at least the layer's inputs: one part); parts do not go with <paramref name="splitLanes"/>.</param>
    /// <param name="vectorSlots">Whether each lane's slots lie four rows together (<see cref="VectorSlot"/>); not with <paramref name="splitLanes"/>.</param>
    /// <param name="stageCapacity">The stage's size in 16-byte quads where tiles of four columns keep second copies of the inputs in it
    /// (<see cref="StageCopies"/>: slot indices are then stage positions); 0: none. Not with <paramref name="splitLanes"/>.</param>
    public static TiledLayer Plan(NetworkLayer layer, bool mergeDuplicates, int splitLanes = 0, int partInputs = 0, bool vectorSlots = false, int stageCapacity = 0)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows > MaxNeurons) throw new NotSupportedException($"Layer {layer.Index + 1} has {w.Rows} inputs; the resident-input layout holds at most {MaxNeurons}.");
        if (partInputs < 0 || (partInputs > 0 && partInputs < w.Rows && splitLanes > 0))
            throw new ArgumentOutOfRangeException(nameof(partInputs), partInputs, "Input parts need a positive size and no split lanes.");
        if (vectorSlots && splitLanes > 0) throw new ArgumentException("Vector slots do not go with split lanes (their warp rows are interleaved for the split-column kernel).", nameof(vectorSlots));
        if (stageCapacity > 0 && splitLanes > 0) throw new ArgumentException("Stage copies do not go with split lanes.", nameof(stageCapacity));
        int partSize = partInputs > 0 && partInputs < w.Rows ? partInputs : Math.Max(1, w.Rows);
        using var lists = new OutputInputLists(layer, groupByFirstInput: mergeDuplicates);
        var order = ArrayPool<int>.Shared.Rent(n);
        var copyStarts = ArrayPool<int>.Shared.Rent(n + 1);
        var copies = ArrayPool<int>.Shared.Rent(n);
        try
        {
            int count = n;
            if (mergeDuplicates)
            {
                ClusteredOutputOrder.WriteClustered(lists, order.AsSpan(0, n));
                count = DuplicateOutputs.Merge(lists, layer.Bias, order.AsSpan(0, n), copyStarts, copies);
            }
            else
            {
                for (int j = 0; j < n; j++) order[j] = j;
                copyStarts.AsSpan(0, n + 1).Clear();
            }
            return Lay(lists, layer, order.AsSpan(0, count), copyStarts, copies, splitLanes, partSize, vectorSlots, stageCapacity);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(copyStarts);
            ArrayPool<int>.Shared.Return(copies);
        }
    }

    /// <summary>
    /// Where thread <paramref name="thread"/> of a warp (0-31) keeps its slot in a warp row of the
    /// layout interleaved for <paramref name="lanes"/> (P) lanes an output: thread sG + g at gP + s
    /// (G = 32 / P), so that lanes gP .. gP + P - 1, which add the outputs of threads g, G + g, ...
    /// (a quad of the columns each), find their P slots together.
    /// </summary>
    public static int SplitSlot(int thread, int lanes)
    {
        int groups = TiledLayout.WarpSize / lanes;
        return thread % groups * lanes + thread / groups;
    }

    /// <summary>
    /// Where lane <paramref name="lane"/>'s slot of warp row <paramref name="row"/> lies in a
    /// layout with vector slots (warp rows in fours from a multiple of four): the lane's four
    /// slots of rows 4q .. 4q + 3 at 128q + 4 lane .. 128q + 4 lane + 3.
    /// </summary>
    public static long VectorSlot(long row, int lane) => (row >> 2) * (4 * TiledLayout.WarpSize) + lane * 4 + (row & 3);

    private static TiledLayer Lay(OutputInputLists lists, NetworkLayer layer, ReadOnlySpan<int> order, int[] copyStarts, int[] copies, int splitLanes, int partSize,
        bool vectorSlots, int stageCapacity)
    {
        const int Lanes = TiledLayout.WarpSize, Warps = TiledLayout.WarpsPerBlock;
        int count = order.Length;
        int parts = Math.Max(1, (lists.InputCount + partSize - 1) / partSize);
        // Representatives in output order, so that a warp's writes go to neighbouring rows.
        var positions = new int[count];
        var keys = order.ToArray();
        for (int d = 0; d < count; d++) positions[d] = d;
        Array.Sort(keys, positions);
        // Entries of representative t in part p: partCounts[t * parts + p].
        var partCounts = new int[(long)count * parts];
        for (int t = 0; t < count; t++)
            foreach (var e in lists.Entries(keys[t]))
                partCounts[(long)t * parts + e.Input / partSize]++;
        if (parts > 1) OrderByPartCounts(keys, positions, partCounts, parts);
        int blocks = (count + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        var threadOutputs = new int[blocks * TiledLayout.BlockRows];
        threadOutputs.AsSpan(count).Fill(-1);
        var threadCopyStarts = new int[threadOutputs.Length + 1];
        var threadCopies = new int[copyStarts[count]];
        int copyAt = 0;
        for (int t = 0; t < count; t++)
        {
            threadOutputs[t] = keys[t];
            threadCopyStarts[t] = copyAt;
            int from = copyStarts[positions[t]], to = copyStarts[positions[t] + 1];
            copies.AsSpan(from, to - from).CopyTo(threadCopies.AsSpan(copyAt));
            copyAt += to - from;
        }
        threadCopyStarts.AsSpan(count).Fill(copyAt);

        // Warp rows, stage (block b, part p) s = b * parts + p, warp w at s * Warps + w: as long as the warp's longest list in the part.
        int stages = blocks * parts;
        var warpRows = new int[stages * Warps + 1];
        long computed = 0;
        for (int s = 0; s < stages; s++)
        {
            int b = s / parts, p = s % parts;
            for (int w = 0; w < Warps; w++)
            {
                int longest = 0;
                for (int lane = 0; lane < Lanes; lane++)
                {
                    int t = (b * Warps + w) * Lanes + lane;
                    if (t >= count) continue;
                    int length = partCounts[(long)t * parts + p];
                    longest = Math.Max(longest, length);
                    computed += length;
                }
                // Vector slots: every warp's rows in fours, so that each starts at a multiple of four.
                if (vectorSlots) longest = (longest + 3) & ~3;
                warpRows[s * Warps + w + 1] = checked(warpRows[s * Warps + w] + longest);
            }
        }
        long slots = (long)warpRows[^1] * Lanes;
        if (slots > Array.MaxLength) throw new NotSupportedException($"Layer {layer.Index + 1} is too large for the resident-input layout ({slots} slots).");
        var slotIndex = new ushort[slots];
        var slotValue = new float[slots];
        for (int t = 0; t < count; t++)
        {
            int v = t / Lanes, lane = t % Lanes, b = v / Warps, w = v % Warps;
            int place = splitLanes > 0 ? SplitSlot(lane, splitLanes) : lane;
            int part = -1;
            long row = 0;
            foreach (var e in lists.Entries(threadOutputs[t]))
            {
                // Entries ascend by input, so the parts come in order (lists that read distinct
                // rows need not: they must come with one part, GpuPlan sees to it).
                int p = e.Input / partSize;
                if (p != part)
                {
                    if (p < part) throw new InvalidOperationException($"Layer {layer.Index + 1}: an output's inputs go back to an earlier part; its sum would change order.");
                    part = p;
                    row = warpRows[(b * parts + p) * Warps + w];
                }
                long slot = vectorSlots ? VectorSlot(row, place) : row * Lanes + place;
                slotIndex[slot] = (ushort)(e.Input - p * partSize);
                slotValue[slot] = e.Weight;
                row++;
            }
        }
        if (stageCapacity > 0)
        {
            Func<long, int, long> slotOf = vectorSlots ? VectorSlot : (row, lane) => row * Lanes + lane;
            for (int s = 0; s < stages; s++)
            {
                int p = s % parts;
                int inputs = Math.Min(partSize, lists.InputCount - p * partSize);
                int withCopies = StageCopies.Count(inputs, stageCapacity);
                if (withCopies == 0) continue;
                for (int w = 0; w < Warps; w++)
                    StageCopies.Assign(slotIndex, slotValue, warpRows[s * Warps + w], warpRows[s * Warps + w + 1], inputs, withCopies, slotOf);
            }
        }
        var blockStages = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) blockStages[b] = b * parts;
        var stageStarts = new int[stages + 1];
        for (int s = 0; s < stages; s++) stageStarts[s] = s % parts * partSize;
        stageStarts[stages] = lists.InputCount;
        return new TiledLayer
        {
            Neurons = lists.Count,
            Outputs = threadOutputs,
            CopyStarts = threadCopyStarts,
            Copies = threadCopies,
            BlockStages = blockStages,
            StageStarts = stageStarts,
            Footprint = [],
            WarpRows = warpRows,
            SlotIndex = slotIndex,
            SlotValue = slotValue,
            Bias = layer.Bias,
            Inputs = layer.Inputs,
            Form = layer.Form,
            NonZeros = layer.Weights.NonZeros,
            ComputedNonZeros = computed,
        };
    }

    /// <summary>
    /// Orders the representatives (<paramref name="keys"/>, with <paramref name="positions"/> and
    /// their <paramref name="partCounts"/>) by their entry counts per part, part by part, output
    /// order breaking ties: neighbouring lanes then have lists of equal lengths in each part.
    /// </summary>
    private static void OrderByPartCounts(int[] keys, int[] positions, int[] partCounts, int parts)
    {
        int count = keys.Length;
        var rank = new int[count];
        for (int t = 0; t < count; t++) rank[t] = t;
        Array.Sort(rank, (x, y) =>
        {
            for (int p = 0; p < parts; p++)
            {
                int c = partCounts[(long)x * parts + p].CompareTo(partCounts[(long)y * parts + p]);
                if (c != 0) return c;
            }
            return x.CompareTo(y);
        });
        var sortedKeys = new int[count];
        var sortedPositions = new int[count];
        var sortedCounts = new int[partCounts.Length];
        for (int t = 0; t < count; t++)
        {
            sortedKeys[t] = keys[rank[t]];
            sortedPositions[t] = positions[rank[t]];
            partCounts.AsSpan(rank[t] * parts, parts).CopyTo(sortedCounts.AsSpan(t * parts));
        }
        sortedKeys.CopyTo(keys, 0);
        sortedPositions.CopyTo(positions, 0);
        sortedCounts.CopyTo(partCounts, 0);
    }
}
