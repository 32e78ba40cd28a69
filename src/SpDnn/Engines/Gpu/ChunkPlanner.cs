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
/// <param name="ImageBits">Whether the (first) layer has the column-lane layout for <see cref="ImageBitsKernel"/>, which reads binary images as bits.</param>
/// <param name="Tail">Whether the layer has the layout <see cref="TailProgram"/> runs (see <see cref="ChunkPlanner"/>).</param>
internal readonly record struct PlannedLayer(long NonZeros, long FullComputed, long MergedComputed, long WarpRows, long Footprint, bool Resident, bool ColumnLanes,
    int Inputs, int Outputs, bool KeepsZeroRowsZero, bool General, bool ImageBits = false, bool Tail = false);

/// <summary>
/// Plans layers, each on its own thread (the plan's layer workers, or in parallel a chunk at a
/// time), into the layouts <see cref="LayerChunk"/> packs (the tiled ones in pooled buffers,
/// given back when the chunk is disposed):
/// per layer the tiled layout of every output, the one with duplicate outputs merged (per
/// <see cref="GpuEngineOptions.MergeDuplicateOutputs"/>) and, where <see cref="FullWidthKernel"/>
/// sends the layer there, the resident-input layout (and with it the column-lane and the tail's).
/// </summary>
/// <param name="columnLanes">Layers with a resident-input layout also get the column-lane one (<see cref="ColumnLaneLayerPlanner"/>).</param>
/// <param name="tail">
/// Layers with a resident-input layout also get one without merged duplicates, for
/// <see cref="TailProgram"/>: every such layer (<see cref="TailProgramLayers.On"/>), or those
/// that read distinct rows and whose tiled layout pads (<see cref="GpuPlan.PadsWarps"/>), which
/// once rows converge would otherwise take two launches (the resident-input kernel, then the
/// layer program's compaction).
/// </param>
/// <param name="splitLanes">Lanes an output the resident-input layouts are interleaved for (<see cref="SplitColumnKernel"/>; 0: none).</param>
/// <param name="partInputs">Inputs per part of the resident-input layouts (<see cref="GpuPlan.PartInputs"/>; 0: one part).</param>
/// <param name="distinctRows">Where set, layers are planned as they run with one feature row per distinct output (<see cref="DistinctRowsLayer"/>).</param>
/// <param name="residentColumnsFor">Live columns of the resident-input kernel for a layer of so many inputs (<see cref="GpuPlan.ResidentColumnsFor"/>; null: <paramref name="residentColumns"/> for all).</param>
/// <param name="stageCopyCapacityFor">The resident-input stage's quads where a layer of so many inputs keeps copies of them (<see cref="GpuPlan.StageCopyCapacityFor"/>; null: none).</param>
internal sealed class ChunkPlanner(ILayerSource network, GpuEngineOptions options, int residentColumns, bool columnLanes, bool tail, int splitLanes, int partInputs = 0,
    DistinctRowMaps? distinctRows = null, Func<int, int>? residentColumnsFor = null, Func<int, int>? stageCopyCapacityFor = null)
{
    private readonly IOutputListLayerSource? _withOutputs = network as IOutputListLayerSource;
    private readonly IRecyclingLayerSource? _recycling = network as IRecyclingLayerSource;
    private readonly bool _recycles = network is IOutputListLayerSource or IRecyclingLayerSource;
    private readonly ConcurrentBag<NetworkLayer> _doneWith = [];

    /// <summary>Plans layers <paramref name="first"/> .. <paramref name="first"/>+<paramref name="count"/>-1 in parallel; fills <paramref name="layers"/> (one entry per layer).</summary>
    public LayerChunk Plan(int first, int count, Span<PlannedLayer> layers, ParallelOptions parallel)
    {
        var planned = new LayerLayouts[count];
        for (int i = 0; i < count; i++) distinctRows?.Claim(first + i);
        Parallel.For(0, count, parallel, i => planned[i] = PlanLayer(first + i));
        for (int i = 0; i < count; i++) layers[i] = planned[i].Planned;
        return Assemble(first, planned);
    }

    /// <summary>The chunk of the layers <paramref name="layers"/> (consecutive, from <paramref name="first"/>), which then owns their buffers.</summary>
    public static LayerChunk Assemble(int first, IReadOnlyList<LayerLayouts> layers) =>
        new(first, [.. layers.Select(l => l.Full)], [.. layers.Select(l => l.Merged)], [.. layers.Select(l => l.Resident)],
            [.. layers.Select(l => l.ColumnLanes)], [.. layers.Select(l => l.Tail)]);

    /// <summary>
    /// Plans layer <paramref name="k"/> into its layouts; any number of layers at once, each on
    /// its own thread. A layer read from a recycling source is read into the arrays of one
    /// planned before; a source that can give the weights by output (the generators) does, so
    /// that the layouts need no transpose.
    /// </summary>
    public LayerLayouts PlanLayer(int k)
    {
        if (distinctRows is null) return PlanLayerWith(k, null);
        distinctRows.Claim(k);
        try
        {
            return PlanLayerWith(k, distinctRows);
        }
        finally
        {
            // Published by now unless planning failed: then the next layer finds the rows itself.
            distinctRows.Abandon(k);
        }
    }

    private LayerLayouts PlanLayerWith(int k, DistinctRowMaps? rows)
    {
        int neurons = network.Neurons;
        var recycled = _recycles && _doneWith.TryTake(out var done) ? done : null;
        var layer = _withOutputs is { } withOutputs ? withOutputs.GetLayerWithOutputs(k, recycled)
            : _recycling is { } recycling ? recycling.GetLayer(k, recycled?.Weights)
            : network.GetLayer(k);
        if (layer.Bias.Length != layer.Neurons)
            throw new ArgumentException($"Layer {k + 1} of {network.Description} has {layer.Bias.Length} biases, expected {layer.Neurons}.");
        long nonZeros = layer.Weights.NonZeros;
        var source = layer;
        if (rows is not null)
        {
            using var lists = new OutputInputLists(layer, groupByFirstInput: false);
            layer = rows.Transform(k, layer, lists);
        }
        // The inputs' chain and the widest layer are checked by the plan, across chunks.
        bool general = layer.Form != LayerForm.Challenge || layer.Inputs != neurons;
        // Off: both rows the full layout; on: both the merged one; auto: one each.
        // Pooled: the buffers of one chunk's layouts serve the next once this one is packed.
        (PooledTiledLayer full, PooledTiledLayer? once) = options.MergeDuplicateOutputs switch
        {
            DuplicateOutputMerge.Off => (TiledLayerPlanner.PlanPooled(layer, mergeDuplicates: false), null),
            DuplicateOutputMerge.On => (TiledLayerPlanner.PlanPooled(layer), null),
            _ => TiledLayerPlanner.PlanBothPooled(layer),
        };
        var merged = once ?? full;
        // Wide tiles made by input parts do not count for the rule (measured with every input
        // staged); a layer reading distinct rows may stage them all in one part.
        int columns = residentColumnsFor?.Invoke(layer.Inputs) ?? residentColumns;
        bool onePart = partInputs == 0 || (rows is not null && layer.Inputs <= partInputs);
        // Lists that read distinct rows need not ascend: parts (staged in ascending order) would
        // reorder their sums, so such a layer needs all its inputs in one part.
        bool keepsOrder = onePart || layer.Inputs == source.Inputs;
        var resident = columns > 0 && keepsOrder && (options.Kernel == FullWidthKernel.Resident || ScatteredInputs(full, layer.Inputs)
            || (columns >= GpuPlan.WideTileColumns && onePart))
            ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, splitLanes, partInputs, vectorSlots: splitLanes == 0 && options.VectorSlots,
                stageCapacity: stageCopyCapacityFor?.Invoke(layer.Inputs) ?? 0)
            : null;
        // Scanned here, in parallel, rather than while packing.
        _ = resident?.ExactProductBounds;
        bool laneKernel = resident is { } r && columnLanes && (options.Kernel == FullWidthKernel.Resident || GpuPlan.MayFuse(r, options));
        // The first layer reads the images: as bits, where they are binary, by the same layout.
        bool imageBits = k == 0 && options.ImageBits && layer.Inputs <= ResidentLayerPlanner.MaxNeurons;
        var lanes = laneKernel || imageBits ? ColumnLaneLayerPlanner.Plan(layer, mergeDuplicates: true) : null;
        _ = lanes?.ExactProductBounds;
        bool tailLayout = resident is not null && tail
            && (options.TailProgram == TailProgramLayers.On || (layer.Inputs < source.Inputs && GpuPlan.PadsWarps(full.WarpRowCount, full.ComputedNonZeros)));
        var tails = tailLayout ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: false, vectorSlots: options.VectorSlots) : null;
        _ = tails?.ExactProductBounds;
        _ = full.ExactProductBounds;
        _ = merged.ExactProductBounds;
        var planned = new PlannedLayer(nonZeros, full.ComputedNonZeros, merged.ComputedNonZeros, full.WarpRowCount, full.FootprintLength,
            resident is not null, laneKernel, layer.Inputs, layer.Neurons, layer.KeepsZeroRowsZero(), general, imageBits, tailLayout);
        // The layouts keep the bias, not the weights: their arrays serve the next layer read.
        if (_recycles) _doneWith.Add(source);
        return new LayerLayouts(full, merged, resident, lanes, tails, planned);
    }

    private static bool ScatteredInputs(PooledTiledLayer full, int neurons) => full.FootprintLength >= GpuPlan.ResidentStagingRatio * neurons;
}
