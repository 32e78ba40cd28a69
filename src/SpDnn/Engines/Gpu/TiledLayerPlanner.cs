using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>Turns a layer (CSR by input neuron) into the warp-sliced ELL layout of <see cref="TiledLayer"/>.</summary>
internal static class TiledLayerPlanner
{
    /// <param name="layer">The layer.</param>
    /// <param name="clusterOutputs">Order outputs by their input lists before cutting blocks (smaller
    /// footprints, less padding); false gives the seed's layout of consecutive outputs.</param>
    /// <param name="mergeDuplicates">With clustering: compute each set of outputs with equal inputs,
    /// weights and bias once and write it to all of them (<see cref="DuplicateOutputs"/>).</param>
    public static TiledLayer Plan(NetworkLayer layer, bool clusterOutputs = true, bool mergeDuplicates = true)
    {
        using var layout = PlanPooled(layer, clusterOutputs, mergeDuplicates);
        return layout.ToTiledLayer();
    }

    /// <summary><see cref="Plan"/>, the layout left in pooled buffers (dispose it once packed).</summary>
    public static PooledTiledLayer PlanPooled(NetworkLayer layer, bool clusterOutputs = true, bool mergeDuplicates = true)
    {
        if (!clusterOutputs) return PlanLayouts(layer, clusterOutputs: false, merged: false).Full;
        var (full, merged) = PlanLayouts(layer, clusterOutputs: true, merged: mergeDuplicates);
        if (merged is null) return full;
        full.Dispose();
        return merged;
    }

    /// <summary>
    /// The clustered layout of every output, and the layout that computes duplicate outputs once
    /// (null when the layer has none), from one transpose and one clustering.
    /// </summary>
    public static (TiledLayer Full, TiledLayer? Merged) PlanBoth(NetworkLayer layer)
    {
        var (full, merged) = PlanBothPooled(layer);
        using (full)
        using (merged)
            return (full.ToTiledLayer(), merged?.ToTiledLayer());
    }

    /// <summary><see cref="PlanBoth"/>, the layouts left in pooled buffers (dispose them once packed).</summary>
    public static (PooledTiledLayer Full, PooledTiledLayer? Merged) PlanBothPooled(NetworkLayer layer) => PlanLayouts(layer, clusterOutputs: true, merged: true);

    private static (PooledTiledLayer Full, PooledTiledLayer? Merged) PlanLayouts(NetworkLayer layer, bool clusterOutputs, bool merged)
    {
        var w = layer.Weights;
        int n = w.Columns;
        // Transient buffers come from the pool: fresh memory costs page faults, and a plan of
        // N=65536 would otherwise ask for some 30 MB of it besides the layout it returns.
        using var lists = new OutputInputLists(layer, groupByFirstInput: clusterOutputs);
        var order = ArrayPool<int>.Shared.Rent(n);
        var copyStarts = ArrayPool<int>.Shared.Rent(n + 1);
        var copies = ArrayPool<int>.Shared.Rent(n);
        try
        {
            if (clusterOutputs) ClusteredOutputOrder.WriteClustered(lists, order.AsSpan(0, n));
            else for (int j = 0; j < n; j++) order[j] = j;
            copyStarts.AsSpan(0, n + 1).Clear();
            var full = Lay(lists, layer, order.AsSpan(0, n), copyStarts, copies, sortBlocks: clusterOutputs);
            if (!merged) return (full, null);
            try
            {
                int distinct = DuplicateOutputs.Merge(lists, layer.Bias, order.AsSpan(0, n), copyStarts, copies);
                return (full, distinct < n ? Lay(lists, layer, order.AsSpan(0, distinct), copyStarts, copies, sortBlocks: true) : null);
            }
            catch
            {
                full.Dispose();
                throw;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(copyStarts);
            ArrayPool<int>.Shared.Return(copies);
        }
    }

    /// <summary>
    /// Lays out the outputs of <paramref name="order"/> (each with its copies: see
    /// <see cref="DuplicateOutputs.Merge"/>) in blocks of consecutive entries, each block
    /// ascending when <paramref name="sortBlocks"/>, so neighbouring threads write neighbouring
    /// outputs where they can.
    /// </summary>
    private static PooledTiledLayer Lay(OutputInputLists lists, NetworkLayer layer, ReadOnlySpan<int> order, int[] copyStarts, int[] copies, bool sortBlocks)
    {
        int count = order.Length;
        int blocks = (count + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        int threads = blocks * TiledLayout.BlockRows;
        int copyCount = copyStarts[count];
        var threadOutputs = ArrayPool<int>.Shared.Rent(threads);
        // Without copies (every full layout) the starts stay empty: all zero, as packing writes them.
        var threadCopyStarts = copyCount == 0 ? [] : ArrayPool<int>.Shared.Rent(threads + 1);
        var threadCopies = copyCount == 0 ? [] : ArrayPool<int>.Shared.Rent(copyCount);
        var builder = new TiledLayerBuilder(lists, blocks, layer.Weights.NonZeros, layer.Index + 1);
        try
        {
            threadOutputs.AsSpan(count, threads - count).Fill(-1);
            Span<int> positions = stackalloc int[TiledLayout.BlockRows];
            int copyAt = 0;
            for (int first = 0; first < count; first += TiledLayout.BlockRows)
            {
                int length = Math.Min(TiledLayout.BlockRows, count - first);
                var keys = threadOutputs.AsSpan(first, length);
                order.Slice(first, length).CopyTo(keys);
                if (copyCount == 0)
                {
                    if (sortBlocks) keys.Sort();
                }
                else
                {
                    for (int t = 0; t < length; t++) positions[t] = first + t;
                    if (sortBlocks) keys.Sort(positions[..length]);
                    for (int t = 0; t < length; t++)
                    {
                        threadCopyStarts[first + t] = copyAt;
                        int from = copyStarts[positions[t]], to = copyStarts[positions[t] + 1];
                        copies.AsSpan(from, to - from).CopyTo(threadCopies.AsSpan(copyAt));
                        copyAt += to - from;
                    }
                }
                builder.AddBlock(keys, order.Slice(first, length));
            }
            if (copyCount > 0) threadCopyStarts.AsSpan(count, threads + 1 - count).Fill(copyAt);
            var layout = builder.Finish(threadOutputs, threads, threadCopyStarts, threadCopies, copyCount, layer);
            threadOutputs = threadCopyStarts = threadCopies = [];
            return layout;
        }
        finally
        {
            builder.Dispose();
            foreach (var buffer in new[] { threadOutputs, threadCopyStarts, threadCopies })
                if (buffer.Length > 0) ArrayPool<int>.Shared.Return(buffer);
        }
    }
}
