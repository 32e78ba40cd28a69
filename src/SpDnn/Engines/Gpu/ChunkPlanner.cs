using System.Collections.Concurrent;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>What planning found about one layer, for the plan's figures (and the plan cache, which stores it).</summary>
/// <param name="NonZeros">True nonzero weights.</param>
/// <param name="FullComputed">Nonzeros the first (full, or with merging on, merged) layout computes.</param>
/// <param name="MergedComputed">Nonzeros the merged layout computes.</param>
/// <param name="WarpRows">Warp-wide rows of slots of the first layout.</param>
/// <param name="Footprint">Staged inputs of the first layout's blocks, added up.</param>
/// <param name="Resident">Whether the layer has a resident-input layout.</param>
/// <param name="ColumnLanes">Whether it has a column-lane layout too.</param>
/// <param name="Inputs">Input neurons.</param>
/// <param name="Outputs">Output neurons.</param>
/// <param name="KeepsZeroRowsZero">Whether an all-zero row stays all zero through the layer (<see cref="NetworkLayer.KeepsZeroRowsZero"/>).</param>
/// <param name="General">Whether the layer is not of the challenge's form, or not as wide as the images: the general kernels run it.</param>
internal readonly record struct PlannedLayer(long NonZeros, long FullComputed, long MergedComputed, long WarpRows, long Footprint, bool Resident, bool ColumnLanes,
    int Inputs, int Outputs, bool KeepsZeroRowsZero, bool General);

/// <summary>
/// Plans the layers of one chunk, in parallel, into the layouts <see cref="LayerChunk"/> packs
/// (the tiled ones in pooled buffers, given back when the chunk is disposed):
/// per layer the tiled layout of every output, the one with duplicate outputs merged (per
/// <see cref="GpuEngineOptions.MergeDuplicateOutputs"/>) and, where <see cref="FullWidthKernel"/>
/// sends the layer there, the resident-input layout (and with it the column-lane and the tail's).
/// </summary>
/// <param name="columnLanes">Layers with a resident-input layout also get the column-lane one (<see cref="ColumnLaneLayerPlanner"/>).</param>
/// <param name="tail">Layers with a resident-input layout also get one without merged duplicates, for <see cref="TailProgram"/>.</param>
/// <param name="splitLanes">Lanes an output the resident-input layouts are interleaved for (<see cref="SplitColumnKernel"/>; 0: none).</param>
internal sealed class ChunkPlanner(ILayerSource network, GpuEngineOptions options, int residentColumns, bool columnLanes, bool tail, int splitLanes)
{
    private readonly IRecyclingLayerSource? _recycling = network as IRecyclingLayerSource;
    private readonly ConcurrentBag<CsrMatrix> _doneWith = [];

    /// <summary>Plans layers <paramref name="first"/> .. <paramref name="first"/>+<paramref name="count"/>-1; fills <paramref name="layers"/> (one entry per layer).</summary>
    public LayerChunk Plan(int first, int count, Span<PlannedLayer> layers, ParallelOptions parallel)
    {
        int neurons = network.Neurons;
        var tiled = new PooledTiledLayer[count];
        var merged = new PooledTiledLayer[count];
        var resident = new TiledLayer?[count];
        var lanes = new TiledLayer?[count];
        var tails = new TiledLayer?[count];
        var shapes = new (int Inputs, int Outputs, bool KeepsZeroRowsZero, bool General)[count];
        Parallel.For(0, count, parallel, i =>
        {
            var layer = _recycling is { } recycling
                ? recycling.GetLayer(first + i, _doneWith.TryTake(out var recycled) ? recycled : null)
                : network.GetLayer(first + i);
            if (layer.Bias.Length != layer.Neurons)
                throw new ArgumentException($"Layer {first + i + 1} of {network.Description} has {layer.Bias.Length} biases, expected {layer.Neurons}.");
            // The inputs' chain and the widest layer are checked by the plan, across chunks.
            shapes[i] = (layer.Inputs, layer.Neurons, layer.KeepsZeroRowsZero(), layer.Form != LayerForm.Challenge || layer.Inputs != neurons);
            // Off: both rows the full layout; on: both the merged one; auto: one each.
            // Pooled: the buffers of one chunk's layouts serve the next once this one is packed.
            (PooledTiledLayer full, PooledTiledLayer? once) = options.MergeDuplicateOutputs switch
            {
                DuplicateOutputMerge.Off => (TiledLayerPlanner.PlanPooled(layer, mergeDuplicates: false), null),
                DuplicateOutputMerge.On => (TiledLayerPlanner.PlanPooled(layer), null),
                _ => TiledLayerPlanner.PlanBothPooled(layer),
            };
            tiled[i] = full;
            merged[i] = once ?? full;
            resident[i] = residentColumns > 0 && (options.Kernel == FullWidthKernel.Resident || ScatteredInputs(full, layer.Inputs) || residentColumns >= GpuPlan.WideTileColumns)
                ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, splitLanes)
                : null;
            // Scanned here, in parallel, rather than while packing.
            _ = resident[i]?.ExactProductBounds;
            lanes[i] = resident[i] is { } r && columnLanes && (options.Kernel == FullWidthKernel.Resident || GpuPlan.MayFuse(r, options))
                ? ColumnLaneLayerPlanner.Plan(layer, mergeDuplicates: true) : null;
            _ = lanes[i]?.ExactProductBounds;
            tails[i] = resident[i] is not null && tail ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: false) : null;
            _ = tails[i]?.ExactProductBounds;
            _ = tiled[i].ExactProductBounds;
            _ = merged[i].ExactProductBounds;
            // The layouts keep the bias, not the weights: their arrays serve the next layer read.
            if (_recycling is not null) _doneWith.Add(layer.Weights);
        });
        for (int i = 0; i < count; i++)
            layers[i] = new PlannedLayer(tiled[i].NonZeros, tiled[i].ComputedNonZeros, merged[i].ComputedNonZeros, tiled[i].WarpRowCount,
                tiled[i].FootprintLength, resident[i] is not null, lanes[i] is not null,
                shapes[i].Inputs, shapes[i].Outputs, shapes[i].KeepsZeroRowsZero, shapes[i].General);
        return new LayerChunk(first, tiled, merged, resident, lanes, tails);
    }

    private static bool ScatteredInputs(PooledTiledLayer full, int neurons) => full.FootprintLength >= GpuPlan.ResidentStagingRatio * neurons;
}
