using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Plans a layer for <see cref="ColumnLaneKernel"/>, whose lanes are live columns: a warp adds
/// one output's entries at a time, every lane reading the same entry, so an output's entries lie
/// together — list t (one per distinct output, in output order) holds entries
/// WarpRows[t] .. WarpRows[t+1]-1, in the reference's order (ascending by input), padded with input
/// 0 and weight +0 (which adds nothing: sums start at +0 and never become -0) to a whole number
/// of <see cref="ColumnLaneKernel.EntriesPerRead"/> so that the kernel reads them in 16-byte
/// vectors. Outputs[t] is list t's output, Copies its duplicates; Blocks counts the lists.
/// </summary>
internal static class ColumnLaneLayerPlanner
{
    public static TiledLayer Plan(NetworkLayer layer, bool mergeDuplicates)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows > ResidentLayerPlanner.MaxNeurons) throw new NotSupportedException($"Layer {layer.Index + 1} has {w.Rows} inputs; the column-lane layout holds at most {ResidentLayerPlanner.MaxNeurons}.");
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
            return Lay(lists, layer, order.AsSpan(0, count), copyStarts, copies);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(copyStarts);
            ArrayPool<int>.Shared.Return(copies);
        }
    }

    private static TiledLayer Lay(OutputInputLists lists, NetworkLayer layer, ReadOnlySpan<int> order, int[] copyStarts, int[] copies)
    {
        const int Group = ColumnLaneKernel.EntriesPerRead;
        int count = order.Length;
        // Lists in output order, so that neighbouring warps write neighbouring rows.
        var positions = new int[count];
        var outputs = order.ToArray();
        for (int d = 0; d < count; d++) positions[d] = d;
        Array.Sort(outputs, positions);
        var listCopyStarts = new int[count + 1];
        var listCopies = new int[copyStarts[count]];
        var starts = new int[count + 1];
        long computed = 0;
        for (int t = 0; t < count; t++)
        {
            int from = copyStarts[positions[t]], to = copyStarts[positions[t] + 1];
            copies.AsSpan(from, to - from).CopyTo(listCopies.AsSpan(listCopyStarts[t]));
            listCopyStarts[t + 1] = listCopyStarts[t] + to - from;
            int length = lists.Length(outputs[t]);
            computed += length;
            starts[t + 1] = checked(starts[t] + (length + Group - 1) / Group * Group);
        }
        // A whole number of warp rows in all: the next layout in a chunk starts 16-byte aligned too.
        long slots = (starts[count] + TiledLayout.WarpSize - 1) / TiledLayout.WarpSize * TiledLayout.WarpSize;
        if (slots > Array.MaxLength) throw new NotSupportedException($"Layer {layer.Index + 1} is too large for the column-lane layout ({slots} slots).");
        var slotIndex = new ushort[slots];
        var slotValue = new float[slots];
        for (int t = 0; t < count; t++)
        {
            int at = starts[t];
            foreach (var e in lists.Entries(outputs[t]))
            {
                slotIndex[at] = (ushort)e.Input;
                slotValue[at++] = e.Weight;
            }
        }
        return new TiledLayer
        {
            Neurons = lists.Count,
            Outputs = outputs,
            CopyStarts = listCopyStarts,
            Copies = listCopies,
            BlockStages = new int[count + 1],
            StageStarts = [0],
            Footprint = [],
            WarpRows = starts,
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
