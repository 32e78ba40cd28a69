using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>Turns a layer (CSR by input neuron) into the warp-sliced ELL layout of <see cref="TiledLayer"/>.</summary>
public static class TiledLayerPlanner
{
    /// <param name="layer">The layer.</param>
    /// <param name="clusterOutputs">Order outputs by their input lists before cutting blocks (smaller
    /// footprints, less padding); false gives the seed's layout of consecutive outputs.</param>
    public static TiledLayer Plan(NetworkLayer layer, bool clusterOutputs = true)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows != n) throw new ArgumentException($"Layer {layer.Index + 1} is not square ({w.Rows} x {n}).");
        int blocks = (n + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        // Transient buffers come from the pool: fresh memory costs page faults, and a plan of
        // N=65536 would otherwise ask for some 30 MB of it besides the layout it returns.
        using var lists = new OutputInputLists(w, groupByFirstInput: clusterOutputs);
        var threadOutputs = new int[blocks * TiledLayout.BlockRows];
        var outputs = threadOutputs.AsSpan(0, n);
        if (clusterOutputs) ClusteredOutputOrder.Write(lists, outputs);
        else for (int j = 0; j < n; j++) outputs[j] = j;
        threadOutputs.AsSpan(n).Fill(-1);

        using var builder = new TiledLayerBuilder(lists, blocks, w.NonZeros, layer.Index + 1);
        for (int first = 0; first < n; first += TiledLayout.BlockRows)
            builder.AddBlock(outputs.Slice(first, Math.Min(TiledLayout.BlockRows, n - first)));
        return builder.ToTiledLayer(threadOutputs, layer);
    }
}
