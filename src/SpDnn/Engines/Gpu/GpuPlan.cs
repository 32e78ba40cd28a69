using System.Diagnostics;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>One chunk of a plan: uploaded for good, or kept in page-locked host memory and streamed.</summary>
internal sealed record PlanChunk(int FirstLayer, int Count, int MaxBlocks, DeviceChunk? Resident, PinnedChunk? Streamed, int StreamIndex)
{
    public int EndLayer => FirstLayer + Count;
}

/// <summary>
/// A network planned into the warp-sliced ELL layout, packed into chunks of consecutive layers.
/// Chunks are uploaded while the device memory budget allows; the rest stay in page-locked
/// host memory and are streamed through two device slots at run time (copying the next chunk
/// while the current one computes).
/// </summary>
internal sealed class GpuPlan : IEnginePlan
{
    private readonly List<PlanChunk> _chunks = [];
    private readonly DeviceChunk?[] _slots = new DeviceChunk?[2];

    public GpuPlan(GpuDevice device, ILayerSource network, GpuEngineOptions engineOptions, InferenceOptions options)
    {
        var watch = Stopwatch.StartNew();
        Device = device;
        Neurons = network.Neurons;
        LayerCount = network.LayerCount;
        var parallel = new ParallelOptions
        {
            CancellationToken = options.Cancellation,
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : -1,
        };
        long budget = engineOptions.DeviceMemoryBudget > 0 ? engineOptions.DeviceMemoryBudget : (long)(device.FreeMemory * 0.9);
        // Weights may take three quarters of the budget; the images' buffers need the rest.
        long weightBudget = budget / 4 * 3;
        int perChunk = Math.Max(1, engineOptions.LayersPerChunk);
        // Plan a chunk of layers in parallel on the CPU, pack it, then upload or pin it, so host
        // memory holds one chunk of tiled layers at a time however long the network is.
        var tiled = new TiledLayer[Math.Min(perChunk, LayerCount)];
        var merged = new TiledLayer[tiled.Length];
        var resident = new TiledLayer?[tiled.Length];
        var lanes = new TiledLayer?[tiled.Length];
        var tailLayouts = new TiledLayer?[tiled.Length];
        // A requested width whose stage does not fit shared memory falls back to the widest that does.
        int requested = engineOptions.ResidentColumns;
        ResidentColumns = requested > 0 && ResidentInputKernel.StageBytes(Neurons, requested) <= device.ResidentStageBytes
            ? requested : ResidentInputKernel.ColumnsFor(Neurons, device.ResidentStageBytes);
        if (Neurons > ResidentLayerPlanner.MaxNeurons || engineOptions.Kernel == FullWidthKernel.Tiled) ResidentColumns = 0;
        // Narrow layers also get the column-lane layout, unless a tile width was asked for.
        ColumnLanes = ResidentColumns > 0 && requested == 0 && engineOptions.ColumnLanes
            && ColumnLaneKernel.StageBytes(Neurons) <= device.ResidentStageBytes;
        TailColumns = ResidentColumns == 0 || !engineOptions.TailProgram ? 0 : ResidentInputKernel.ColumnsFor(Neurons, device.ResidentStageBytes, TailProgram.MaxColumns);
        _residentLayers = new bool[LayerCount];
        _columnLaneLayers = new bool[LayerCount];
        long footprints = 0;
        var slotShape = default(ChunkShape);
        bool streaming = engineOptions.Weights == WeightResidency.Streamed;
        try
        {
            for (int start = 0; start < LayerCount; start += perChunk)
            {
                int count = Math.Min(perChunk, LayerCount - start);
                Parallel.For(0, count, parallel, i =>
                {
                    var layer = network.GetLayer(start + i);
                    if (layer.Weights.Rows != Neurons || layer.Weights.Columns != Neurons || layer.Bias.Length != Neurons)
                        throw new ArgumentException($"Layer {start + i + 1} does not have {Neurons} neurons.");
                    // Off: both rows the full layout; on: both the merged one; auto: one each.
                    (TiledLayer full, TiledLayer? once) = engineOptions.MergeDuplicateOutputs switch
                    {
                        DuplicateOutputMerge.Off => (TiledLayerPlanner.Plan(layer, mergeDuplicates: false), null),
                        DuplicateOutputMerge.On => (TiledLayerPlanner.Plan(layer), null),
                        _ => TiledLayerPlanner.PlanBoth(layer),
                    };
                    tiled[i] = full;
                    merged[i] = once ?? full;
                    resident[i] = ResidentColumns > 0 && (engineOptions.Kernel == FullWidthKernel.Resident || ScatteredInputs(full, Neurons) || ResidentColumns >= WideTileColumns)
                        ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: true)
                        : null;
                    _ = resident[i]?.ExactProductBounds;
                    lanes[i] = resident[i] is { } r && ColumnLanes && (engineOptions.Kernel == FullWidthKernel.Resident || MayFuse(r, engineOptions))
                        ? ColumnLaneLayerPlanner.Plan(layer, mergeDuplicates: true) : null;
                    _ = lanes[i]?.ExactProductBounds;
                    tailLayouts[i] = resident[i] is not null && TailColumns > 0 ? ResidentLayerPlanner.Plan(layer, mergeDuplicates: false) : null;
                    _ = tailLayouts[i]?.ExactProductBounds;
                    // Scanned here, in parallel, rather than while packing.
                    _ = tiled[i].ExactProductBounds;
                    _ = merged[i].ExactProductBounds;
                });
                for (int i = 0; i < count; i++)
                {
                    Weights += tiled[i].NonZeros;
                    FullComputedWeights += tiled[i].ComputedNonZeros;
                    ComputedWeights += merged[i].ComputedNonZeros;
                    WarpRowCount += tiled[i].WarpRowCount;
                    footprints += tiled[i].Footprint.Length;
                    _residentLayers[start + i] = resident[i] is not null;
                    _columnLaneLayers[start + i] = lanes[i] is not null;
                }
                var packed = new LayerChunk(start, tiled.AsSpan(0, count).ToArray(), merged.AsSpan(0, count).ToArray(), resident.AsSpan(0, count).ToArray(), lanes.AsSpan(0, count).ToArray(),
                    tailLayouts.AsSpan(0, count).ToArray());
                Array.Clear(resident);
                Array.Clear(lanes);
                Array.Clear(tailLayouts);
                // Leave room for two streaming slots should a later chunk not fit.
                streaming |= engineOptions.Weights == WeightResidency.Auto
                    && ResidentBytes + packed.Bytes + packed.Bytes / 2 * 5 > weightBudget;
                if (streaming)
                {
                    _chunks.Add(new PlanChunk(start, count, packed.MaxBlocks, null, new PinnedChunk(device.Accelerator, packed), StreamedChunks));
                    StreamedChunks++;
                    StreamedBytes += packed.Bytes;
                    slotShape = ChunkShape.Max(slotShape, ChunkShape.Of(packed));
                }
                else
                {
                    _chunks.Add(new PlanChunk(start, count, packed.MaxBlocks, new DeviceChunk(device.Accelerator, packed), null, -1));
                    ResidentBytes += packed.Bytes;
                }
            }
            if (StreamedChunks > 0)
            {
                for (int s = 0; s < Math.Min(2, StreamedChunks); s++) _slots[s] = new DeviceChunk(device.Accelerator, slotShape);
                SlotBytes = slotShape.Bytes * Math.Min(2, StreamedChunks);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        StagingRatio = LayerCount > 0 && Neurons > 0 ? footprints / ((double)LayerCount * Neurons) : 0;
        // Compiled now, not in the first run that reaches a full-width layer (tens of ms).
        if (ResidentLayerCount > 0) _ = device.ResidentKernel(ResidentColumns);
        if (ResidentLayerCount > 0 && TailColumns > 0) _ = device.TailKernel(TailColumns);
        if (ColumnLaneLayerCount > 0) _ = device.ColumnLaneKernel;
        PlanningSeconds = watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The rule of <see cref="FullWidthKernel.Auto"/>: a layer goes to the resident-input kernel
    /// when the stage holds at least <see cref="WideTileColumns"/> columns, or when its tiled
    /// layout's block footprints add up to at least this many times the inputs,
    /// i.e. when a tile's inputs would be staged that many times over, once per block (random
    /// connectivity: about 25 at N = 16384); Kronecker-built challenge layers, whose blocks share
    /// their inputs, stay below it.
    /// </summary>
    public const double ResidentStagingRatio = 3.0;

    /// <summary>
    /// The rule for <see cref="ColumnLaneKernel"/> under the automatic choice: only layers whose
    /// products may be fused (every weight a power of two). Its lanes read one value per entry,
    /// so the per-entry index and address work is not shared by several columns: with rounded
    /// products (three instructions each) it is issue-bound — measured on the H200 (2026-12-04)
    /// 0.143 s against 0.106 s on the general family at N = 1024 (76% issue slots busy), while on
    /// the challenge's dyadic layers it gains 5-8% (1024 x 120 5.78 against 6.09 ms, 1024 x 480
    /// 10.1 against 11.0 ms).
    /// </summary>
    private static bool MayFuse(TiledLayer layer, GpuEngineOptions options) =>
        options.FusedProducts && layer.ExactProductBounds.Low < layer.ExactProductBounds.High;

    private static bool ScatteredInputs(TiledLayer full, int neurons) => full.Footprint.Length >= ResidentStagingRatio * neurons;

    /// <summary>
    /// The other half of the rule: where the stage holds this many live columns or more (N up to
    /// about 4700), the resident-input kernel also beats the tiled one on layers whose blocks
    /// share their inputs (measured on the H200, 2026-12-04: challenge 1024 x 120 6.33 against
    /// 6.87 ms, 4096 x 120 11.5 against 14.1 ms; at N = 16384, 3 columns, 99.6 against 43.2 ms).
    /// </summary>
    public const int WideTileColumns = 8;

    private readonly bool[] _residentLayers;
    private readonly bool[] _columnLaneLayers;

    /// <summary>Live columns per group of the resident-input kernel for this network (0: its layers are too wide, or the kernel is off).</summary>
    public int ResidentColumns { get; }

    /// <summary>Whether the layers with a resident-input layout also have the column-lane one (<see cref="ColumnLaneKernel"/>, tiles of 32 columns).</summary>
    public bool ColumnLanes { get; }

    /// <summary>Live columns <see cref="TailProgram"/> runs in one group (0: none; see <see cref="GpuEngineOptions.TailProgram"/>).</summary>
    public int TailColumns { get; }

    /// <summary>Whether layer <paramref name="k"/> has a resident-input layout (it runs there while many rows are live).</summary>
    public bool HasResidentLayout(int k) => _residentLayers[k];

    /// <summary>Whether layer k has a column-lane layout (<see cref="ColumnLaneKernel"/>).</summary>
    public bool HasColumnLaneLayout(int k) => _columnLaneLayers[k];

    /// <summary>Layers with a column-lane layout.</summary>
    public int ColumnLaneLayerCount => _columnLaneLayers.Count(r => r);

    /// <summary>Layers with a resident-input layout.</summary>
    public int ResidentLayerCount => _residentLayers.Count(r => r);

    /// <summary>Mean over layers of the tiled layout's staged inputs per tile (block footprints added up) over the inputs: 1 = each input staged once.</summary>
    public double StagingRatio { get; }

    public GpuDevice Device { get; }
    public int Neurons { get; }
    public int LayerCount { get; }
    public long Weights { get; }
    public double PlanningSeconds { get; }

    /// <summary>Warp-wide rows of slots over all layers ("warpnz").</summary>
    public long WarpRowCount { get; }

    /// <summary>Nonzeros the merged layouts compute (fewer than <see cref="Weights"/> where duplicate outputs are merged).</summary>
    public long ComputedWeights { get; }

    /// <summary>Nonzeros the first (full, or with merging on, merged) layouts compute.</summary>
    private long FullComputedWeights { get; }

    /// <summary>Padded slots over computed nonzeros of the first layouts (1 = no padding).</summary>
    public double PaddingRatio => FullComputedWeights > 0 ? WarpRowCount * (double)TiledLayout.WarpSize / FullComputedWeights : 1;

    /// <summary>Share of the network's nonzeros the merged layouts compute (1 = no duplicate outputs merged).</summary>
    public double ComputedShare => Weights > 0 ? ComputedWeights / (double)Weights : 1;

    /// <summary>Bytes of the chunks uploaded for good.</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>Chunks kept in host memory and streamed at run time, and their bytes.</summary>
    public int StreamedChunks { get; private set; }
    public long StreamedBytes { get; private set; }

    /// <summary>Bytes of the device slots that streamed chunks pass through.</summary>
    public long SlotBytes { get; }

    /// <summary>Device bytes the plan occupies.</summary>
    public long DeviceBytes => ResidentBytes + SlotBytes;

    public IReadOnlyList<PlanChunk> Chunks => _chunks;

    /// <summary>The device slot that streamed chunk <paramref name="streamIndex"/> passes through.</summary>
    public DeviceChunk Slot(int streamIndex) => _slots[streamIndex % 2] ?? throw new InvalidOperationException("The plan streams no chunks.");

    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            chunk.Resident?.Dispose();
            chunk.Streamed?.Dispose();
        }
        foreach (var slot in _slots) slot?.Dispose();
    }
}
