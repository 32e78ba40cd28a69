using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>What one batch of images produced.</summary>
internal sealed record GpuBatchOutcome(
    int[] SurvivingRows,
    float[][]? SurvivingFeatures,
    int[] LiveImages,
    int[] DistinctRows,
    double[] LayerSeconds,
    double Seconds,
    double UploadSeconds,
    int Checkpoints,
    int Collapses,
    int Launches,
    int TailLayers,
    double PlanWaitSeconds,
    int UploadCollections,
    bool PlanCompleteAtUpload,
    ImageEncoding Encoding);

/// <summary>
/// Runs one batch of images through a plan. Features are neuron-major (one column per live
/// row), so a layer reads neighbouring columns together. Layer k reads the columns listed in
/// the live list and writes its outputs compactly (column = live position); the launch's groups
/// then list, in ascending order, the positions that kept a nonzero, carrying each position's
/// image slot and multiplicity. One launch runs the layers up to the next checkpoint (at most a
/// chunk); the host looks at the device only at checkpoints, to shrink launch grids and to merge
/// bit-identical rows (collapse): after a collapse one column stands for several images, which
/// stays exact because identical rows have identical futures. Layers may change the rows' width
/// (the buffers hold the widest layer); where a later layer adds its bias always, all-zero rows
/// stay in the live list (<see cref="GpuPlan.ZeroRowsKeptBefore"/>).
/// </summary>
internal sealed class GpuBatchRun : IDisposable
{
    private const int MaxCheckInterval = 64;
    private const int MaxCollapseGap = 8;
    private const int ProbeColumns = 256;

    private readonly GpuPlan _plan;
    private readonly GpuDevice _device;
    private readonly GpuEngineOptions _options;
    private readonly AcceleratorStream _stream;
    private readonly int _rows;
    private readonly int _neurons;

    /// <summary>Features of the live rows now: the outputs of the last layer run (the images' before the first).</summary>
    private int _width;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _features;
    private readonly MemoryBuffer1D<int, Stride1D.Dense>[] _live, _slot, _multiplicity;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _liveRows, _liveImages, _nonzeros, _partials, _barrier;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _pairFirst, _pairSecond, _differs;
    private readonly MemoryBuffer1D<ulong, Stride1D.Dense> _hashes;
    // Page-locked staging for the host's reads at checkpoints: copying into a managed array
    // would pin and unpin it on every call.
    private readonly PageLockedArray1D<int> _pinnedInts;
    // Two slots (live rows, failure flag) for checkpoints read while the next launch runs (see ReadCheckpointLater).
    private readonly PageLockedArray1D<int> _pinnedCheckpoints;
    private readonly PageLockedArray1D<ulong> _pinnedHashes;
    private readonly int[] _hostMultiplicity;
    private readonly int[] _representative;
    private int _collapses;

    public GpuBatchRun(GpuPlan plan, GpuEngineOptions options, int rows)
    {
        _plan = plan;
        _device = plan.Device;
        _options = options;
        _rows = rows;
        _neurons = plan.Neurons;
        _width = plan.Neurons;
        var accelerator = _device.Accelerator;
        _stream = accelerator.DefaultStream;
        long featureLength = Math.Max(1L, Stride * plan.MaxWidth);
        int length = Math.Max(1, rows);
        _features = [accelerator.Allocate1D<float>(featureLength), accelerator.Allocate1D<float>(featureLength)];
        _live = [accelerator.Allocate1D<int>(length), accelerator.Allocate1D<int>(length)];
        _slot = [accelerator.Allocate1D<int>(length), accelerator.Allocate1D<int>(length)];
        _multiplicity = [accelerator.Allocate1D<int>(length), accelerator.Allocate1D<int>(length)];
        _liveRows = accelerator.Allocate1D<int>(plan.LayerCount + 1);
        _liveImages = accelerator.Allocate1D<int>(plan.LayerCount);
        _nonzeros = accelerator.Allocate1D<int>(3L * length); // three rotating buffers (LayerProgram)
        _partials = accelerator.Allocate1D<int>(2L * _device.MaxResidentGroups);
        _barrier = accelerator.Allocate1D<int>(LayerProgram.BarrierWords); // arrivals, release epoch, failure flag
        _pairFirst = accelerator.Allocate1D<int>(length);
        _pairSecond = accelerator.Allocate1D<int>(length);
        _differs = accelerator.Allocate1D<int>(length);
        _hashes = accelerator.Allocate1D<ulong>(length);
        _pinnedInts = accelerator.AllocatePageLocked1D<int>(3L * length + 2); // a collapse's lists (see Collapse)
        _pinnedHashes = accelerator.AllocatePageLocked1D<ulong>(length);
        _pinnedCheckpoints = accelerator.AllocatePageLocked1D<int>(4);
        _hostMultiplicity = new int[rows];
        _representative = new int[rows];
        _collapseLive = new int[rows];
        _collapseSlots = new int[rows];
        _collapseRemoved = new bool[rows];
    }

    // Host scratch of collapse attempts (see Collapse).
    private readonly int[] _collapseLive, _collapseSlots;
    private readonly bool[] _collapseRemoved;
    private readonly Dictionary<ulong, int> _firstOfHash = [];
    private readonly List<(int Member, int Representative)> _candidates = [];

    /// <summary>Device bytes a batch of <paramref name="rows"/> images needs besides the plan (<paramref name="neurons"/>: the widest layer).</summary>
    public static long DeviceBytes(int rows, int neurons, int layers) =>
        2L * StrideFor(rows) * neurons * sizeof(float) + 12L * rows * sizeof(int) + 8L * rows + 8L * (layers + 1);

    /// <summary>
    /// Columns per neuron row of the features: the rows rounded up to a whole tile, so that a
    /// tile's outputs are 16-byte aligned and a partial last tile's spare columns exist.
    /// </summary>
    private long Stride => StrideFor(_rows);

    private static long StrideFor(int rows) => ((long)rows + LayerKernel.Tile - 1) / LayerKernel.Tile * LayerKernel.Tile;

    public GpuBatchOutcome Run(ImageBatch images, InferenceOptions inference)
    {
        int layers = _plan.LayerCount;
        // What else the upload may meet (its time is reported): full collections, a plan still being made beside it.
        int collections = GC.CollectionCount(2);
        bool planComplete = _plan.IsComplete;
        var upload = Stopwatch.StartNew();
        UploadImages(images.Features);
        _stream.Synchronize();
        upload.Stop();
        collections = GC.CollectionCount(2) - collections;

        var liveImages = new int[layers];
        var distinct = new int[layers];
        Array.Fill(distinct, -1);
        var layerSeconds = new double[layers];
        int bound = _rows; // live positions at the last checkpoint (an upper bound later on)
        // No merge attempt after the first layer: its rows are equal only where images are, and
        // its few deaths (most images have an output) say nothing of convergence; an attempt
        // reads every live row.
        int nextCheck = 1, checkInterval = 1, nextCollapse = 2, collapseGap = 1, checkpoints = 0, launches = 0, tailLayers = 0;
        int pendingLayer = -1, pendingSlot = 0; // a checkpoint whose rows are on their way (LaggedCheckpoints)
        bool collapseAllowed = _options.CollapseIdenticalRows, collapseDecided = !_options.CollapseWherePays;
        var total = Stopwatch.StartNew();
        // Per-layer device time from events around each launch (one layer per launch then).
        var markers = _options.TimeEachLayer ? new (ProfilingMarker Start, ProfilingMarker End)?[layers] : null;
        // A plan still being made is taken chunk by chunk as the run reaches it (the wait is
        // planning's); which chunks stream is known only once the plan is whole (GpuPlan.Chunk).
        var streamed = _plan.IsComplete ? _plan.StreamedChunkList : null;
        using var copyStream = streamed is not { Length: 0 } ? _device.Accelerator.CreateStream() : null;
        int issued = 0; // streamed chunks whose copy to a slot has been started
        if (streamed is { Length: > 0 }) Prefetch(streamed, copyStream!, ref issued);
        double planWait = 0;
        int k = 0;
        // A merge attempt is due where the rows have settled (a layer killed less than an eighth
        // of them since the last checkpoint acted on), at least two live, and its turn has come.
        bool MergeDue(int rows) => collapseAllowed && rows >= 2 && 8L * rows >= 7L * bound && k >= nextCollapse;
        for (int c = 0; c < _plan.ChunkCount; c++)
        {
            if (k >= layers || bound == 0) break;
            var chunk = _plan.Chunk(c, out double waited);
            planWait += waited;
            if (chunk.Streamed is not null) streamed ??= _plan.StreamedChunkList;
            var device = chunk.Resident ?? Acquire(chunk, streamed!, copyStream!, ref issued);
            while (k < chunk.EndLayer && bound > 0)
            {
                inference.Cancellation.ThrowIfCancellationRequested();
                int end = _options.TimeEachLayer ? k + 1 : Math.Min(chunk.EndLayer, Math.Max(k + 1, nextCheck));
                // Once the live rows fit the tail program's tile, it runs the chunk's remaining
                // layers in one group. A layer for the resident-input kernel runs on its own; the
                // program then only compacts its live list. Launches of the program stop before such a layer.
                // The first layer of images kept as bits runs on ImageBitsKernel (a launch of its own, as the resident kernels').
                bool bits = k == 0 && Encoding == ImageEncoding.Bits;
                int tailEnd = bits ? k : TailEnd(chunk, k, bound);
                bool tail = tailEnd > k;
                bool resident = !tail && (bits || TakesResidentKernel(k, bound));
                if (tail) end = _options.TimeEachLayer ? k + 1 : tailEnd;
                else if (resident) end = k + 1;
                else for (int next = k + 1; next < end; next++) if (TakesResidentKernel(next, bound)) { end = next; break; }
                var start = markers is null ? null : _stream.AddProfilingMarker();
                if (tail)
                {
                    LaunchTail(device, k, end);
                    tailLayers += end - k;
                }
                else
                {
                    if (resident)
                    {
                        if (bits) LaunchImageBits(device, bound);
                        else LaunchResident(device, k, bound);
                        launches++;
                    }
                    Launch(device, chunk.MaxBlocks, k, end, bound, resident ? k : -1);
                }
                launches++;
                if (markers is not null) markers[k] = (start!, _stream.AddProfilingMarker());
                k = end;
                _width = _plan.WidthAfter(k);
                inference.Progress?.Report(k);
                // The host has not seen the rows since the tail started: look now.
                if (tail) nextCheck = Math.Min(nextCheck, k);
                if (k < nextCheck && k < layers) continue;
                checkpoints++;
                int rows;
                if (_options.LaggedCheckpoints && k < layers)
                {
                    // The rows after layer k are copied while the next launch runs, and the host
                    // acts on those of the checkpoint before, which bound the live rows here (rows
                    // only die or merge): the device no longer idles through the host's turnaround.
                    int earlier = pendingLayer, earlierSlot = pendingSlot;
                    pendingSlot = earlier < 0 ? pendingSlot : 1 - pendingSlot;
                    ReadCheckpointLater(k, pendingSlot);
                    pendingLayer = k;
                    if (earlier < 0)
                    {
                        nextCheck = k + 1;
                        continue;
                    }
                    rows = AwaitCheckpoint(earlierSlot);
                    // A merge attempt reads every live row of this very layer: wait for them.
                    if (MergeDue(rows))
                    {
                        rows = AwaitCheckpoint(pendingSlot);
                        pendingLayer = -1;
                    }
                }
                else
                {
                    // Waiting for this checkpoint's copy waits for any copy still on its way.
                    pendingLayer = -1;
                    rows = ReadCheckpoint(k, pendingSlot);
                }
                // Rows converge once they stop dying: while a layer kills an eighth of them or
                // more, a collapse attempt (which reads every row) is unlikely to pay, and the
                // next checkpoint comes after one layer (grids shrink). A few rows dying change
                // nothing the host acts on: checkpoints then grow apart as when none die.
                bool settling = 8L * rows >= 7L * bound;
                bool changed = !settling;
                bool mergeDue = MergeDue(rows);
                bound = rows;
                if (mergeDue)
                {
                    // Until rows have first merged, an attempt is made only while merging them is
                    // estimated to pay over the remaining layers; once it is not, merging stops
                    // for good (even one merge costs more than it saves there).
                    if (!collapseDecided && !CollapsesPay(bound, layers - k)) collapseAllowed = false;
                    else
                    {
                        int merged = Collapse(k, bound);
                        // Try again next layer only after a collapse that paid (a quarter of the
                        // rows or more); otherwise back off, since an attempt reads every live row.
                        bool paid = 4 * merged >= bound;
                        collapseDecided |= paid; // rows converge: merging goes on
                        bound -= merged;
                        distinct[k - 1] = bound;
                        changed |= paid;
                        collapseGap = paid ? 1 : Math.Min(2 * collapseGap, MaxCollapseGap);
                        nextCollapse = k + collapseGap;
                    }
                }
                // Few checkpoints once nothing changes: one launch then runs many layers; a due
                // collapse attempt makes a checkpoint of its own.
                checkInterval = changed ? 1 : Math.Min(2 * checkInterval, MaxCheckInterval);
                nextCheck = k + checkInterval;
                if (collapseAllowed && bound >= 2) nextCheck = Math.Min(nextCheck, Math.Max(k + 1, nextCollapse));
            }
        }
        _stream.Synchronize();
        if (markers is not null) ReadLayerTimes(markers, layerSeconds);
        // Layers after the last live row died compute nothing: their counts stay zero.
        _liveImages.View.CopyToCPU(liveImages);
        int finalRows = k == layers ? bound : 0;
        var slots = new int[finalRows];
        if (finalRows > 0) _slot[layers % 2].View.SubView(0, finalRows).CopyToCPU(slots);
        // A class read-out needs the final rows (its answer: read within the time); the rows kept
        // for checks are read after it.
        float[][]? features = _plan.ReadOut == ReadOut.Class ? ReadColumns(layers % 2, finalRows) : null;
        total.Stop();
        if (inference.KeepFinalFeatures) features ??= ReadColumns(layers % 2, finalRows);
        // Each image maps to the row that represents it; an image survives when that row does.
        var rowOf = new Dictionary<int, int>(finalRows);
        for (int r = 0; r < finalRows; r++) rowOf[slots[r]] = r;
        var survivingRows = new List<int>();
        var survivingFeatures = features is null ? null : new List<float[]>();
        for (int image = 0; image < _rows; image++)
        {
            if (!rowOf.TryGetValue(Find(image), out int r)) continue;
            survivingRows.Add(image);
            survivingFeatures?.Add(features![r]);
        }
        return new GpuBatchOutcome([.. survivingRows], survivingFeatures?.ToArray(), liveImages, distinct, layerSeconds,
            total.Elapsed.TotalSeconds, upload.Elapsed.TotalSeconds, checkpoints, _collapses, launches, tailLayers, planWait, collections, planComplete, Encoding);
    }

    /// <summary>
    /// Whether merging <paramref name="rows"/> settled rows down to a few pays over the
    /// <paramref name="remaining"/> layers: each layer then saves a fixed part (~1 us) and the
    /// reading of the rows' features, against the merges' own cost (about ten attempts with their
    /// waits on the device, and the launches they split: ~1.2 ms). Fitted to the H200 with every
    /// group compacting up to 2048 rows itself (bench/results/gpu-20261205-v20: merging on and off
    /// at N = 1024 and 4096, L = 120 / 480 / 1920): a layer saves ~2.1 us at 1024 (1900 rows of
    /// 4 KB) and ~5.5 us at 4096, so 1024 x 120, 1024 x 480 and 4096 x 120 do better without
    /// merging (2.31 against 3.52 ms, 7.27 against 7.50, 3.85 against 4.19) and the others with it.
    /// </summary>
    private bool CollapsesPay(int rows, int remaining)
    {
        double featureSeconds = (double)rows * _plan.MaxWidth * sizeof(float) / CollapseFeatureBytesPerSecond;
        return remaining * (CollapseLayerSeconds + featureSeconds) >= CollapseOverheadSeconds;
    }

    private const double CollapseLayerSeconds = 1e-6, CollapseFeatureBytesPerSecond = 6.8e12, CollapseOverheadSeconds = 1.2e-3;

    private static void ReadLayerTimes((ProfilingMarker Start, ProfilingMarker End)?[] markers, double[] layerSeconds)
    {
        for (int k = 0; k < markers.Length; k++)
        {
            if (markers[k] is not var (start, end)) continue;
            layerSeconds[k] = end.MeasureFrom(start).TotalSeconds;
            start.Dispose();
            end.Dispose();
        }
    }

    /// <summary>
    /// The device slot holding streamed <paramref name="chunk"/>, once its copy has landed; starts
    /// copying the next streamed chunk into the other slot, to overlap with this chunk's layers.
    /// </summary>
    private DeviceChunk Acquire(PlanChunk chunk, PlanChunk[] streamed, AcceleratorStream copyStream, ref int issued)
    {
        int s = chunk.StreamIndex;
        while (issued <= s) Prefetch(streamed, copyStream, ref issued);
        copyStream.Synchronize();
        // The other slot is free once the layers before this chunk have finished.
        _stream.Synchronize();
        if (issued == s + 1 && issued < streamed.Length) Prefetch(streamed, copyStream, ref issued);
        return _plan.Slot(s);
    }

    private void Prefetch(PlanChunk[] streamed, AcceleratorStream copyStream, ref int issued)
    {
        _plan.Slot(issued).BeginLoad(copyStream, streamed[issued].Streamed!);
        issued++;
    }

    /// <summary>
    /// Whether layer k runs on the resident-input kernel: planned for it, and at most this many
    /// live rows (an upper bound) give every multiprocessor two tiles or more; with fewer, the
    /// layer program's more, smaller work items finish sooner, unless its tiled layout pads its
    /// warps' chains (<see cref="GpuPlan.TiledLayoutPads"/>).
    /// </summary>
    private bool TakesResidentKernel(int k, int bound) =>
        _plan.HasResidentLayout(k) && (bound >= 2L * _plan.ResidentColumnsOf(k) * _device.Accelerator.NumMultiprocessors || _plan.TiledLayoutPads(k));

    /// <summary>Whether resident layer k runs on <see cref="ColumnLaneKernel"/>: planned, and enough rows for two of its 32-column tiles per multiprocessor.</summary>
    private bool TakesColumnLanes(int k, int bound) =>
        _plan.HasColumnLaneLayout(k) && bound >= 2L * ColumnLaneKernel.Columns * _device.Accelerator.NumMultiprocessors;

    /// <summary>
    /// Where <see cref="TailProgram"/> would stop if it started at layer <paramref name="k"/>:
    /// at the first layer of the chunk without its layout; k itself (no tail) while more rows
    /// than its tile may live.
    /// </summary>
    private int TailEnd(PlanChunk chunk, int k, int bound)
    {
        if (_plan.TailColumns == 0 || bound > _plan.TailColumns) return k;
        int end = k;
        while (end < chunk.EndLayer && _plan.HasTailLayout(end)) end++;
        return end;
    }

    /// <summary>Runs layers <paramref name="first"/> .. <paramref name="end"/>-1 with <see cref="TailProgram"/> (one group).</summary>
    private void LaunchTail(DeviceChunk chunk, int first, int end)
    {
        int columns = _plan.TailColumns;
        var args = chunk.Bind(Arguments(first, end, -1));
        int widest = _neurons;
        for (int k = first; k < end; k++) widest = Math.Max(widest, _plan.InputsOf(k));
        var stageFloats = (int)(ResidentInputKernel.StageBytes(widest, columns) / sizeof(float));
        int groupSize = _device.IsCuda ? ResidentInputKernel.GroupSize : ResidentInputKernel.SimulatedGroupSize;
        _device.TailKernel(columns, _plan.UsesGeneralKernels, _plan.SlotReads)(_stream, new KernelConfig(1, groupSize, SharedMemoryConfig.RequestDynamic<float>(stageFloats)), args);
    }

    /// <summary>Computes layer <paramref name="k"/> with <see cref="ResidentInputKernel"/>: one group per tile of live columns.</summary>
    private void LaunchResident(DeviceChunk chunk, int k, int bound)
    {
        if (TakesColumnLanes(k, bound))
        {
            int tiles = (bound + ColumnLaneKernel.Columns - 1) / ColumnLaneKernel.Columns;
            var stage = (int)(ColumnLaneKernel.StageBytes(_plan.InputsOf(k)) / sizeof(float));
            int threads = _device.IsCuda ? ResidentInputKernel.GroupSize : ResidentInputKernel.SimulatedGroupSize;
            _device.ColumnLaneKernelFor(_plan.UsesGeneralKernels)(_stream, new KernelConfig(tiles, threads, SharedMemoryConfig.RequestDynamic<float>(stage)), chunk.Bind(Arguments(k, k + 1, -1)));
            return;
        }
        int lanes = _plan.SplitLanes;
        int columns = lanes > 0 ? SplitColumnKernel.Columns(lanes) : _plan.ResidentColumnsOf(k);
        int groups = (bound + columns - 1) / columns;
        // Stage copies take the shared memory the stage leaves (the planner pointed the slots at them).
        int capacity = lanes > 0 ? 0 : _plan.StageCopyCapacityFor(_plan.InputsOf(k));
        var args = chunk.Bind(Arguments(k, k + 1, -1) with { StageCapacity = capacity });
        long stageBytes = lanes > 0 ? SplitColumnKernel.StageBytes(_plan.InputsOf(k), lanes)
            : capacity > 0 ? (long)capacity * StageCopies.QuadBytes : _plan.ResidentStageBytes(k, columns);
        var stageFloats = (int)(stageBytes / sizeof(float));
        int groupSize = !_device.IsCuda ? ResidentInputKernel.SimulatedGroupSize
            : lanes == 8 ? SplitColumnKernel.EightLaneGroupSize
            : stageBytes <= ResidentInputKernel.HalfGroupStageBytes ? ResidentInputKernel.GroupSize / 2 : ResidentInputKernel.GroupSize;
        var config = new KernelConfig(groups, groupSize, SharedMemoryConfig.RequestDynamic<float>(stageFloats));
        var kernel = lanes > 0 ? _device.SplitColumnKernel(lanes, _plan.UsesGeneralKernels) : _device.ResidentKernel(columns, _plan.UsesGeneralKernels, _plan.SlotReads);
        kernel(_stream, config, args);
    }

    /// <summary>Computes the first layer from the images' bits with <see cref="ImageBitsKernel"/>: one group per tile of 32 images.</summary>
    private void LaunchImageBits(DeviceChunk chunk, int bound)
    {
        int tiles = (bound + ImageBitsKernel.Columns - 1) / ImageBitsKernel.Columns;
        int inputs = _plan.InputsOf(0);
        // A tile's bits go to shared memory where they fit (N up to ~57000); else they are read where they are.
        bool staged = ImageBitsKernel.StageBytes(inputs) <= _device.ResidentStageBytes;
        var args = chunk.Bind(Arguments(0, 1, -1) with { ImageBitsStaged = staged ? 1 : 0 });
        var config = new KernelConfig(tiles, ImageBitsKernel.GroupSize, SharedMemoryConfig.RequestDynamic<uint>(staged ? inputs : 1));
        _device.ImageBitsKernelFor(_plan.UsesGeneralKernels)(_stream, config, args);
    }

    /// <summary>Runs layers <paramref name="first"/> .. <paramref name="end"/>-1 of a chunk in one launch (<paramref name="precomputed"/>: a layer already computed, only compacted).</summary>
    private void Launch(DeviceChunk chunk, int maxBlocks, int first, int end, int bound, int precomputed)
    {
        int tiles = (bound + LayerKernel.Tile - 1) / LayerKernel.Tile;
        // No more groups than there are work items (few rows late on: a cheaper barrier), and
        // never more than can be resident (the grid barrier would wait for ever).
        int groups = (int)Math.Clamp((long)maxBlocks * tiles, 1, _device.MaxResidentGroups);
        // Arrivals and release epoch only: the failure flag stays until the host has read it.
        _barrier.View.SubView(0, LayerProgram.ReleaseWord + 1).MemSetToZero(_stream);
        var args = chunk.Bind(Arguments(first, end, precomputed));
        _device.ProgramFor(_plan.ProgramUsesGeneralKernels)(_stream, new KernelConfig(groups, LayerProgram.GroupSize), args);
    }

    private ProgramArgs Arguments(int first, int end, int precomputed) => new()
    {
        Features0 = _features[0].View,
        Features1 = _features[1].View,
        Live0 = _live[0].View,
        Live1 = _live[1].View,
        Slot0 = _slot[0].View,
        Slot1 = _slot[1].View,
        Multiplicity0 = _multiplicity[0].View,
        Multiplicity1 = _multiplicity[1].View,
        LiveRows = _liveRows.View,
        LiveImages = _liveImages.View,
        Nonzeros = _nonzeros.View,
        NonzeroLength = (int)(_nonzeros.Length / 3),
        Partials = _partials.View,
        Barrier = _barrier.View,
        FirstLayer = first,
        EndLayer = end,
        PollLimit = _options.SimulatedBarrierPollLimit,
        BarrierTimeoutNanoseconds = (long)(_options.BarrierTimeout.TotalMilliseconds * 1e6),
        FusedProducts = _options.FusedProducts ? 1 : 0,
        Stride = Stride,
        Neurons = _neurons,
        PrecomputedLayer = precomputed,
        ZeroRowsKeptBefore = _plan.ZeroRowsKeptBefore,
        ImageValue = _imageValue,
        // The group's list holds at most MaxInGroupRows (options set in code skip FromSpec's check).
        InGroupRows = Math.Clamp(_options.GroupCompactionRows, 0, LayerProgram.MaxInGroupRows),
        ReleaseWordBarrier = _options.BarrierReleaseWord ? 1 : 0,
    };

    /// <summary>How the last batch's images reached the device.</summary>
    public ImageEncoding Encoding { get; private set; }

    /// <summary>With <see cref="ImageEncoding.Bits"/>: the value of every nonzero pixel.</summary>
    private float _imageValue;

    private void UploadImages(CsrMatrix images)
    {
        _liveRows.View.MemSetToZero(_stream);
        _barrier.View.MemSetToZero(_stream);
        _liveImages.View.MemSetToZero(_stream);
        _nonzeros.View.MemSetToZero(_stream);
        var identity = new int[_rows];
        for (int r = 0; r < _rows; r++)
        {
            identity[r] = r;
            _hostMultiplicity[r] = 1;
            _representative[r] = r;
        }
        if (_rows > 0)
        {
            _live[0].View.SubView(0, _rows).CopyFromCPU(identity);
            _slot[0].View.SubView(0, _rows).CopyFromCPU(identity);
            _multiplicity[0].View.SubView(0, _rows).CopyFromCPU(_hostMultiplicity);
        }
        _liveRows.View.SubView(0, 1).CopyFromCPU([_rows]);
        Encoding = ImageUpload.Upload(_device, _stream, images, _features[0].View, Stride, _neurons, _plan.FirstLayerReadsBits, out _imageValue);
    }

    /// <summary>
    /// Merges bit-identical live columns once <paramref name="done"/> layers have run: columns are grouped by
    /// a hash, every candidate is compared bit for bit with its group's first column on the
    /// device, and confirmed duplicates leave the live list. Returns the positions removed.
    /// Two waits on the device: the hashes with the live list and slots, then the comparisons;
    /// the kept lists go back from page-locked memory without one (each wait costs ~10 us, and the
    /// challenge networks collapse 10-14 times).
    /// </summary>
    private int Collapse(int done, int rows)
    {
        int current = done % 2;
        if (rows > ProbeColumns && !ProbeFindsDuplicates(current, rows)) return 0;
        // Host buffers are the batch's own, reused by every attempt: a 60000-row attempt would
        // otherwise put a few MB on the large-object heap each time, and the collections that
        // follow land inside the timed run.
        var live = _collapseLive.AsSpan(0, rows);
        var slots = _collapseSlots.AsSpan(0, rows);
        var pinned = _pinnedInts.ArrayView;
        LaunchHash(current, rows, rows);
        _live[current].View.SubView(0, rows).CopyTo(_stream, pinned.SubView(0, rows));
        _slot[current].View.SubView(0, rows).CopyTo(_stream, pinned.SubView(rows, rows));
        _stream.Synchronize();
        _pinnedInts.Span[..rows].CopyTo(live);
        _pinnedInts.Span.Slice(rows, rows).CopyTo(slots);
        var hashes = _pinnedHashes.Span[..rows];
        var firstOfHash = _firstOfHash;
        var candidates = _candidates;
        firstOfHash.Clear();
        candidates.Clear();
        for (int r = 0; r < rows; r++)
        {
            if (firstOfHash.TryGetValue(hashes[r], out int rep)) candidates.Add((r, rep));
            else firstOfHash[hashes[r]] = r;
        }
        if (candidates.Count == 0) return 0;

        int pairs = candidates.Count;
        var memberColumns = _pinnedInts.Span[..pairs];
        var repColumns = _pinnedInts.Span.Slice(pairs, pairs);
        for (int c = 0; c < pairs; c++)
        {
            memberColumns[c] = live[candidates[c].Member];
            repColumns[c] = live[candidates[c].Representative];
        }
        _pairFirst.View.SubView(0, pairs).CopyFrom(_stream, pinned.SubView(0, pairs));
        _pairSecond.View.SubView(0, pairs).CopyFrom(_stream, pinned.SubView(pairs, pairs));
        _differs.View.SubView(0, pairs).MemSetToZero(_stream);
        _device.Compare(_stream, new KernelConfig(pairs, StateKernels.GroupSize), Columns(current) with
        {
            First = _pairFirst.View,
            Second = _pairSecond.View,
            Differs = _differs.View,
        });
        _differs.View.SubView(0, pairs).CopyTo(_stream, pinned.SubView(2 * pairs, pairs));
        _stream.Synchronize();
        var differs = _pinnedInts.Span.Slice(2 * pairs, pairs);
        var removed = _collapseRemoved.AsSpan(0, rows);
        removed.Clear();
        int removedCount = 0;
        for (int c = 0; c < pairs; c++)
        {
            if (differs[c] != 0) continue;
            var (member, rep) = candidates[c];
            removed[member] = true;
            removedCount++;
            _representative[slots[member]] = slots[rep];
            _hostMultiplicity[slots[rep]] += _hostMultiplicity[slots[member]];
        }
        if (removedCount == 0) return 0;
        int kept = rows - removedCount;
        // Staged in page-locked memory, copied in stream order: the next layers read them, and
        // the host writes there again only after a later checkpoint has waited for those copies.
        var keptLive = _pinnedInts.Span[..kept];
        var keptSlots = _pinnedInts.Span.Slice(kept, kept);
        var keptMultiplicity = _pinnedInts.Span.Slice(2 * kept, kept);
        for (int r = 0, q = 0; r < rows; r++)
        {
            if (removed[r]) continue;
            keptLive[q] = live[r];
            keptSlots[q] = slots[r];
            keptMultiplicity[q++] = _hostMultiplicity[slots[r]];
        }
        _pinnedInts.Span[3 * kept] = kept;
        _live[current].View.SubView(0, kept).CopyFrom(_stream, pinned.SubView(0, kept));
        _slot[current].View.SubView(0, kept).CopyFrom(_stream, pinned.SubView(kept, kept));
        _multiplicity[current].View.SubView(0, kept).CopyFrom(_stream, pinned.SubView(2 * kept, kept));
        _liveRows.View.SubView(done, 1).CopyFrom(_stream, pinned.SubView(3 * kept, 1));
        _collapses++;
        return removedCount;
    }

    /// <summary>
    /// Hashes an evenly spaced sample of the live columns: a full attempt (which reads every
    /// row, and builds a table of all of them on the host) pays only when rows are converging,
    /// and then a quarter of the sample or more repeats an earlier member.
    /// </summary>
    private bool ProbeFindsDuplicates(int current, int rows)
    {
        LaunchHash(current, rows, ProbeColumns);
        _stream.Synchronize();
        var seen = new HashSet<ulong>();
        int repeats = 0;
        foreach (ulong h in _pinnedHashes.Span[..ProbeColumns]) if (!seen.Add(h)) repeats++;
        return 4 * repeats >= ProbeColumns;
    }

    /// <summary>Hashes <paramref name="count"/> evenly spaced live columns of <paramref name="rows"/> (all when equal) into the page-locked hashes, once the stream gets there.</summary>
    private void LaunchHash(int current, int rows, int count)
    {
        _device.Hash(_stream, new KernelConfig(count, StateKernels.GroupSize), Columns(current) with
        {
            First = _live[current].View,
            Hashes = _hashes.View,
            Positions = rows,
        });
        _hashes.View.SubView(0, count).CopyTo(_stream, _pinnedHashes.ArrayView.SubView(0, count));
    }

    private ColumnArgs Columns(int current) => new()
    {
        Features = _features[current].View,
        First = _live[current].View,
        Second = _live[current].View,
        Hashes = default,
        Differs = _differs.View,
        Rows = _features[current].View,
        Neurons = _width,
        Stride = Stride,
    };

    /// <summary>The live columns as dense rows of the current width, in live order.</summary>
    private float[][] ReadColumns(int current, int rows)
    {
        var result = new float[rows][];
        if (rows == 0) return result;
        int width = _width;
        using var dense = _device.Accelerator.Allocate1D<float>((long)rows * width);
        _device.Gather(_stream, new KernelConfig(rows, StateKernels.GroupSize), Columns(current) with { Rows = dense.View });
        var all = new float[(long)rows * width];
        dense.View.CopyToCPU(_stream, all);
        for (int r = 0; r < rows; r++) result[r] = all.AsSpan((int)((long)r * width), width).ToArray();
        return result;
    }

    private int Find(int slot)
    {
        int root = slot;
        while (_representative[root] != root) root = _representative[root];
        while (_representative[slot] != root)
        {
            int next = _representative[slot];
            _representative[slot] = root;
            slot = next;
        }
        return root;
    }

    /// <summary>Starts copying the live rows after layer <paramref name="done"/> (and the grid barrier's failure flag) to checkpoint slot <paramref name="slot"/>; <see cref="AwaitCheckpoint"/> reads them.</summary>
    private void ReadCheckpointLater(int done, int slot)
    {
        // Negative rows mark the copy as not yet arrived.
        _pinnedCheckpoints.Span[2 * slot] = -1;
        _liveRows.View.SubView(done, 1).CopyTo(_stream, _pinnedCheckpoints.ArrayView.SubView(2 * slot, 1));
        _barrier.View.SubView(LayerProgram.FailureWord, 1).CopyTo(_stream, _pinnedCheckpoints.ArrayView.SubView(2 * slot + 1, 1));
    }

    /// <summary>
    /// The live rows of checkpoint slot <paramref name="slot"/>, once its copy has arrived: on
    /// CUDA the host polls the page-locked slot while the device runs what was launched after it;
    /// after a second without it (a long launch ahead of it, or a failed device), it waits for the stream.
    /// </summary>
    private int AwaitCheckpoint(int slot)
    {
        // The CPU simulator gains nothing from overlap, and a polling host thread would take a
        // core from the simulated groups: it waits for its stream.
        if (!_device.IsCuda) _stream.Synchronize();
        var span = _pinnedCheckpoints.Span;
        var waiting = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (Volatile.Read(ref span[2 * slot]) < 0)
        {
            if (waiting.Elapsed > TimeSpan.FromSeconds(1))
            {
                _stream.Synchronize();
                if (Volatile.Read(ref span[2 * slot]) < 0) throw new InvalidOperationException("A checkpoint's copy of the live rows did not arrive after the stream finished.");
                break;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
        if (Volatile.Read(ref span[2 * slot + 1]) != 0) throw new GridBarrierTimeoutException(_device.MaxResidentGroups, _options.BarrierTimeout);
        return span[2 * slot];
    }

    /// <summary>Live positions once <paramref name="done"/> layers have run, read through checkpoint slot <paramref name="slot"/> after the stream finishes; fails if a grid barrier gave up.</summary>
    private int ReadCheckpoint(int done, int slot)
    {
        ReadCheckpointLater(done, slot);
        _stream.Synchronize();
        return AwaitCheckpoint(slot);
    }

    public void Dispose()
    {
        foreach (var b in _features) b.Dispose();
        foreach (var b in _live) b.Dispose();
        foreach (var b in _slot) b.Dispose();
        foreach (var b in _multiplicity) b.Dispose();
        _liveRows.Dispose();
        _liveImages.Dispose();
        _nonzeros.Dispose();
        _partials.Dispose();
        _barrier.Dispose();
        _pairFirst.Dispose();
        _pairSecond.Dispose();
        _differs.Dispose();
        _hashes.Dispose();
        _pinnedInts.Dispose();
        _pinnedCheckpoints.Dispose();
        _pinnedHashes.Dispose();
    }
}
