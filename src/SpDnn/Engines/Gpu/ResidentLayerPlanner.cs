using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Plans a layer for <see cref="ResidentInputKernel"/>, which holds every input neuron of a tile
/// of live columns in shared memory: the <see cref="TiledLayer"/> arrays with one stage per
/// block and no footprint (a slot's index is the input neuron itself). Outputs keep their order
/// (or, with duplicates merged, representatives in output order), so a warp writes neighbouring
/// output rows; each lane's slots ascend by input, as the reference sums them, padded to the
/// warp's longest list with zero weights (adding +0 or -0 leaves a sum unchanged: sums start at
/// +0 and never become -0). For <see cref="SplitColumnKernel"/> the slots of each warp row are
/// interleaved (<see cref="SplitSlot"/>), so that the P neighbouring lanes that share outputs read
/// their P outputs' slots as one vector.
/// </summary>
internal static class ResidentLayerPlanner
{
    /// <summary>Largest layer width: slot indices are 16-bit input neurons.</summary>
    public const int MaxNeurons = ushort.MaxValue + 1;

    /// <param name="layer">The layer.</param>
    /// <param name="mergeDuplicates">Whether outputs equal by construction are computed once.</param>
    /// <param name="splitLanes">Lanes an output of <see cref="SplitColumnKernel"/> (4 or 8) the slots of each warp row are interleaved for; 0: none.</param>
    public static TiledLayer Plan(NetworkLayer layer, bool mergeDuplicates, int splitLanes = 0)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows > MaxNeurons) throw new NotSupportedException($"Layer {layer.Index + 1} has {w.Rows} inputs; the resident-input layout holds at most {MaxNeurons}.");
        using var lists = new OutputInputLists(w, groupByFirstInput: mergeDuplicates);
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
            return Lay(lists, layer, order.AsSpan(0, count), copyStarts, copies, splitLanes);
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

    private static TiledLayer Lay(OutputInputLists lists, NetworkLayer layer, ReadOnlySpan<int> order, int[] copyStarts, int[] copies, int splitLanes)
    {
        const int Lanes = TiledLayout.WarpSize, Warps = TiledLayout.WarpsPerBlock;
        int count = order.Length;
        // Representatives in output order, so that a warp's writes go to neighbouring rows.
        var positions = new int[count];
        var keys = order.ToArray();
        for (int d = 0; d < count; d++) positions[d] = d;
        Array.Sort(keys, positions);
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

        // Warp rows: each warp as long as its longest list.
        int warps = blocks * Warps;
        var warpRows = new int[warps + 1];
        long computed = 0;
        for (int v = 0; v < warps; v++)
        {
            int longest = 0;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int j = threadOutputs[v * Lanes + lane];
                if (j < 0) continue;
                int length = lists.Length(j);
                longest = Math.Max(longest, length);
                computed += length;
            }
            warpRows[v + 1] = checked(warpRows[v] + longest);
        }
        long slots = (long)warpRows[warps] * Lanes;
        if (slots > Array.MaxLength) throw new NotSupportedException($"Layer {layer.Index + 1} is too large for the resident-input layout ({slots} slots).");
        var slotIndex = new ushort[slots];
        var slotValue = new float[slots];
        for (int v = 0; v < warps; v++)
        {
            for (int lane = 0; lane < Lanes; lane++)
            {
                int j = threadOutputs[v * Lanes + lane];
                if (j < 0) continue;
                long slot = (long)warpRows[v] * Lanes + (splitLanes > 0 ? SplitSlot(lane, splitLanes) : lane);
                foreach (var e in lists.Entries(j))
                {
                    slotIndex[slot] = (ushort)e.Input;
                    slotValue[slot] = e.Weight;
                    slot += Lanes;
                }
            }
        }
        var blockStages = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) blockStages[b] = b;
        return new TiledLayer
        {
            Neurons = lists.Count,
            Outputs = threadOutputs,
            CopyStarts = threadCopyStarts,
            Copies = threadCopies,
            BlockStages = blockStages,
            StageStarts = new int[blocks + 1],
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
}
