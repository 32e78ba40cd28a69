using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using ILGPU.Runtime;
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
/// <para>
/// Planning runs as a pipeline off the caller's thread: one thread makes chunks (its layers
/// planned in parallel and packed into a page-locked buffer, or read from the plan cache), one
/// uploads them (an asynchronous copy from page-locked memory) and, with a plan cache to write,
/// one appends them to the cache file; a few buffers circulate between them, so host memory holds
/// two or three chunks whatever the network's size. The constructor returns once the first chunk
/// is on the device (all of them when the weights may not fit it); a run takes each later chunk
/// when it reaches it (<see cref="Chunk(int)"/>), waiting only if it is not there yet, so planning
/// overlaps the run's first layers.
/// </para>
/// <para>
/// Layers may be of any shape and form: a network with any layer not of the challenge's form
/// runs the kernels compiled for general layers (<see cref="UsesGeneralKernels"/>; such a network
/// is planned whole before the constructor returns), and all-zero rows are dropped only after the
/// last layer that adds its bias always (<see cref="ZeroRowsKeptBefore"/>).
/// </para>
/// </summary>
internal sealed class GpuPlan : IEnginePlan
{
    private readonly GpuEngineOptions _options;
    private readonly ParallelOptions _parallel;
    private readonly ChunkPlanner _planner;
    private readonly DistinctRowMaps? _distinctRows;
    private readonly int _perChunk;
    private readonly long _weightBudget;
    private readonly PlanChunk?[] _chunks;
    private readonly DeviceChunk?[] _slots = new DeviceChunk?[2];
    private readonly PlannedLayer[] _layers;
    private readonly Action<string>? _note;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop;
    private readonly AcceleratorStream _copyStream;
    private readonly BlockingCollection<PinnedChunk?> _free = new();           // buffers to pack into (null: not allocated yet)
    private readonly BlockingCollection<PinnedChunk> _toUpload = new();
    private readonly BlockingCollection<(PinnedChunk Chunk, bool Kept)> _toWrite = new();
    private readonly Thread _maker, _uploader;
    private readonly object _gate = new();
    // Layer workers: each takes the next layer to plan, up to the chunk after the one the maker waits for.
    private readonly object _layerGate = new();
    private readonly int _layerWorkers;
    private readonly List<Thread> _workers = [];
    private readonly LayerLayouts?[] _planned;        // planned layers waiting for their chunk to be complete
    private readonly int[] _unplanned;                // per chunk, its layers not planned yet
    private int _nextLayer = int.MaxValue;            // the next layer a worker takes (none before planning starts)
    private int _planBefore;                          // workers take layers of chunks below this one
    private long _layerTicks;                         // the workers' time in layers, added up
    private int _layersPlanned;
    private readonly PlanCacheKey? _key;
    private Thread? _writerThread;
    private PlanCacheReader? _reader, _damaged;
    private PlanCacheWriter? _writer;
    private int _writeFrom = int.MaxValue; // chunks from this one on go to the cache writer's thread
    private int _published;                // chunks in device memory (or page-locked memory, streamed)
    private bool _complete;
    private Exception? _failure;
    private double _completeSeconds = -1;
    private long _maxChunkBytes;
    private ChunkShape _bufferShape = ChunkShape.Empty;
    private double _checksumSeconds, _planSeconds, _packSeconds, _readSeconds, _uploadSeconds, _writeSeconds;
    private bool _disposed;

    public GpuPlan(GpuDevice device, ILayerSource network, GpuEngineOptions engineOptions, InferenceOptions options)
    {
        Device = device;
        Neurons = network.Neurons;
        LayerCount = network.LayerCount;
        if (LayerCount < 1) throw new ArgumentException("A network needs at least one layer.", nameof(network));
        MaxWidth = Math.Max(network.MaxWidth, Neurons);
        ReadOut = network.ReadOut;
        _challengeForm = network.IsChallengeForm;
        _description = network.Description;
        _options = engineOptions;
        _note = options.Note;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(options.Cancellation);
        _parallel = new ParallelOptions
        {
            CancellationToken = _stop.Token,
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : -1,
        };
        long budget = engineOptions.DeviceMemoryBudget > 0 ? engineOptions.DeviceMemoryBudget : (long)(device.FreeMemory * 0.9);
        // Weights may take three quarters of the budget; the images' buffers need the rest.
        _weightBudget = budget / 4 * 3;
        _perChunk = Math.Max(1, engineOptions.LayersPerChunk);
        // A requested width whose stage does not fit shared memory falls back to the widest that does.
        int requested = engineOptions.ResidentColumns;
        // The stage holds a layer's inputs: sized by the widest layer.
        // With input parts, the stage holds one part of the widest layer's inputs.
        int parts = engineOptions.InputParts > 0 ? engineOptions.InputParts : AutomaticInputParts(MaxWidth, device.ResidentStageBytes);
        PartInputs = parts > 1 ? (MaxWidth + parts - 1) / parts : 0;
        int staged = PartInputs > 0 ? PartInputs : MaxWidth;
        ResidentColumns = requested > 0 && ResidentInputKernel.StageBytes(staged, requested) <= device.ResidentStageBytes
            ? requested : ResidentInputKernel.ColumnsFor(staged, device.ResidentStageBytes);
        if (MaxWidth > ResidentLayerPlanner.MaxNeurons || engineOptions.Kernel == FullWidthKernel.Tiled) ResidentColumns = 0;
        if (ResidentColumns == 0) PartInputs = 0;
        // Narrow layers also get the column-lane layout, unless a tile width was asked for.
        ColumnLanes = ResidentColumns > 0 && requested == 0 && engineOptions.ColumnLanes
            && ColumnLaneKernel.StageBytes(MaxWidth) <= device.ResidentStageBytes;
        TailColumns = ResidentColumns == 0 || engineOptions.TailProgram == TailProgramLayers.Off ? 0 : ResidentInputKernel.ColumnsFor(MaxWidth, device.ResidentStageBytes, TailProgram.MaxColumns);
        SplitLanes = ResidentColumns == 0 || PartInputs > 0 ? 0 : engineOptions.SplitColumns switch
        {
            // Eight lanes (tiles of 32 columns) only where no tile width was asked for.
            SplitColumnLanes.Eight when requested == 0 && SplitColumnKernel.StageBytes(MaxWidth, 8) <= device.ResidentStageBytes => 8,
            SplitColumnLanes.Eight or SplitColumnLanes.Four or SplitColumnLanes.Auto when ResidentColumns == 16 => 4,
            _ => 0,
        };
        SlotReads = engineOptions.VectorSlots ? SlotReads.Vector : SlotReads.Scalar;
        ChunkCount = (LayerCount + _perChunk - 1) / _perChunk;
        _chunks = new PlanChunk?[ChunkCount];
        _layers = new PlannedLayer[LayerCount];
        _planned = new LayerLayouts?[LayerCount];
        _unplanned = new int[ChunkCount];
        for (int c = 0; c < ChunkCount; c++) _unplanned[c] = Math.Min(_perChunk, LayerCount - c * _perChunk);
        _layerWorkers = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        // Workers waiting for their next layer wake when planning stops.
        _stop.Token.Register(() =>
        {
            lock (_layerGate) Monitor.PulseAll(_layerGate);
        });
        // One feature row per distinct output: a network of the challenge's form only where its
        // first layer has outputs to spare (else it keeps the challenge's kernels: general kernels
        // read each layer's width from the table).
        if (engineOptions.Rows == FeatureRows.Distinct)
        {
            _distinctRows = new DistinctRowMaps(network, _stop.Token);
            if (_challengeForm && !_distinctRows.FirstLayerShrinks()) _distinctRows = null;
        }
        StoresDistinctRows = _distinctRows is not null;
        _planner = new ChunkPlanner(network, engineOptions, ResidentColumns, ColumnLanes, TailColumns > 0, SplitLanes, PartInputs, _distinctRows, ResidentColumnsFor, StageCopyCapacityFor);
        _copyStream = device.Accelerator.CreateStream();
        _maker = new Thread(Make) { IsBackground = true, Name = "spdnn-gpu-planner" };
        _uploader = new Thread(Upload) { IsBackground = true, Name = "spdnn-gpu-plan-upload" };
        try
        {
            if (options.PlanCacheFolder is { } folder) _key = OpenCache(folder, network);
            // Two buffers: one being packed while the other uploads; a third while one is written to
            // the cache, or when reading it (a chunk read on every core comes about as fast as one
            // uploads: a third keeps either from waiting on the other's hiccups).
            for (int b = 0; b < (_writer is null && _reader is null ? 2 : 3); b++) _free.Add(null);
            _maker.Start();
            _uploader.Start();
            if (_writer is not null) StartWriter();
            var first = Chunk(0);
            // Chunks go on planning after the constructor returns only where the whole plan will
            // surely fit the device: the run's buffers are sized next to it before it is complete.
            // A network not of the challenge's form is planned whole first: which kernels run it,
            // and where rows may be dropped, depend on every layer.
            if (engineOptions.Weights == WeightResidency.Streamed || first.Streamed is not null || 2 * _maxChunkBytes * ChunkCount > _weightBudget
                || !_challengeForm)
                WaitComplete();
            if (!_challengeForm)
            {
                UsesGeneralKernels = _layers.Any(l => l.General);
                ZeroRowsKeptBefore = Math.Max(0, Array.FindLastIndex(_layers, l => !l.KeepsZeroRowsZero));
            }
            // Distinct rows make layers narrower than the images: the kernels that stage a layer's
            // inputs read how many from the table (general kernels); the layer program never
            // needs it, so it keeps the challenge's (a challenge layer keeps zero rows zero).
            else if (StoresDistinctRows) UsesGeneralKernels = true;
            ProgramUsesGeneralKernels = UsesGeneralKernels && !(_challengeForm && StoresDistinctRows);
            // Compiled now, not in the first run (tens of ms; for general layers the program too).
            if (ProgramUsesGeneralKernels) _ = device.ProgramFor(general: true);
            if (_layers.Any(l => l.Resident))
            {
                if (SplitLanes > 0) _ = device.SplitColumnKernel(SplitLanes, UsesGeneralKernels);
                else
                    foreach (int columns in _layers.Where(l => l.Resident).Select(l => ResidentColumnsFor((int)l.Inputs)).Distinct())
                        _ = device.ResidentKernel(columns, UsesGeneralKernels, SlotReads);
                if (TailColumns > 0 && _layers.Any(l => l.Tail)) _ = device.TailKernel(TailColumns, UsesGeneralKernels, SlotReads);
                if (_layers.Any(l => l.ColumnLanes)) _ = device.ColumnLaneKernelFor(UsesGeneralKernels);
            }
            if (FirstLayerReadsBits) _ = device.ImageBitsKernelFor(UsesGeneralKernels);
        }
        catch
        {
            Dispose();
            throw;
        }
        ReturnedSeconds = _watch.Elapsed.TotalSeconds;
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
    /// The other half of the rule: where the stage holds this many live columns or more (N up to
    /// about 4700), the resident-input kernel also beats the tiled one on layers whose blocks
    /// share their inputs (measured on the H200, 2026-12-04: challenge 1024 x 120 6.33 against
    /// 6.87 ms, 4096 x 120 11.5 against 14.1 ms; at N = 16384, 3 columns, 99.6 against 43.2 ms).
    /// </summary>
    public const int WideTileColumns = 8;

    /// <summary>
    /// The rule for <see cref="ColumnLaneKernel"/> under the automatic choice: only layers whose
    /// products may be fused (every weight a power of two). Its lanes read one value per entry,
    /// so the per-entry index and address work is not shared by several columns: with rounded
    /// products (three instructions each) it is issue-bound — measured on the H200 (2026-12-04)
    /// 0.143 s against 0.106 s on the general family at N = 1024 (76% issue slots busy), while on
    /// the challenge's dyadic layers it gains 5-8% (1024 x 120 5.78 against 6.09 ms, 1024 x 480
    /// 10.1 against 11.0 ms).
    /// </summary>
    internal static bool MayFuse(TiledLayer layer, GpuEngineOptions options) =>
        options.FusedProducts && layer.ExactProductBounds.Low < layer.ExactProductBounds.High;

    /// <summary>
    /// Each planned layer's inputs equal the outputs before it (the images' features for the
    /// first), no layer is wider than <see cref="MaxWidth"/>, and a network that says it is of the
    /// challenge's form has only such layers.
    /// </summary>
    private void CheckShapes(int first, int count)
    {
        for (int k = first; k < first + count; k++)
        {
            var layer = _layers[k];
            long width = k == 0 ? Neurons : _layers[k - 1].Outputs;
            if (layer.Inputs != width)
                throw new ArgumentException($"Layer {k + 1} of {_description} has {layer.Inputs} inputs, expected {width}.");
            if (layer.Outputs > MaxWidth)
                throw new ArgumentException($"Layer {k + 1} of {_description} has {layer.Outputs} outputs, more than the network's widest layer ({MaxWidth}).");
            if (_challengeForm && !StoresDistinctRows && (layer.General || layer.Outputs != Neurons))
                throw new ArgumentException($"Layer {k + 1} of {_description} is not of the challenge's form ({Neurons} x {Neurons}, capped ReLU, bias on nonzero sums) though the network says it is.");
        }
    }

    /// <summary>Features of each row once <paramref name="done"/> layers have run: the images' before the first, then each layer's outputs.</summary>
    public int WidthAfter(int done) => done == 0 || SquareLayers ? Neurons : (int)_layers[done - 1].Outputs;

    /// <summary>Input neurons of layer <paramref name="k"/>.</summary>
    public int InputsOf(int k) => SquareLayers ? Neurons : (int)_layers[k].Inputs;

    /// <summary>Whether every layer is as wide as the images (known before the layers are planned).</summary>
    private bool SquareLayers => _challengeForm && !StoresDistinctRows;

    /// <summary>
    /// Whether features keep one row per distinct output (<see cref="FeatureRows.Distinct"/>, where
    /// the network's layers have outputs equal by construction): layers then read and write
    /// fewer rows than they have neurons, each sum still in the reference's order.
    /// </summary>
    public bool StoresDistinctRows { get; }

    /// <summary>
    /// Live columns per group of the resident-input kernel for a layer of <paramref name="inputs"/>
    /// inputs: the plan's <see cref="ResidentColumns"/>, or with distinct rows (whose layers stage
    /// far fewer rows than the widest) as many as their stage holds, up to 8 (one lane an output;
    /// 16 columns go to the split kernel, whose layouts are interleaved plan-wide).
    /// </summary>
    public int ResidentColumnsFor(int inputs)
    {
        if (!StoresDistinctRows || SplitLanes > 0 || _options.ResidentColumns > 0 || _options.Kernel == FullWidthKernel.Tiled || inputs > ResidentLayerPlanner.MaxNeurons)
            return ResidentColumns;
        int staged = PartInputs > 0 ? Math.Min(PartInputs, inputs) : inputs;
        return Math.Max(ResidentColumns, ResidentInputKernel.ColumnsFor(staged, Device.ResidentStageBytes, WideTileColumns));
    }

    /// <summary>
    /// The stage's size in 16-byte quads where the resident-input kernel keeps second copies of a
    /// layer's inputs (<see cref="StageCopies"/>), else 0: tiles of four columns with vector slots
    /// whose stage already takes a multiprocessor's group (above <see cref="ResidentInputKernel.HalfGroupStageBytes"/>;
    /// on the simulator, whose groups are all alike, any), so asking for all of shared memory costs no group.
    /// </summary>
    public int StageCopyCapacityFor(int inputs)
    {
        if (!_options.StageCopies || SlotReads != SlotReads.Vector || SplitLanes > 0 || inputs > ResidentLayerPlanner.MaxNeurons || ResidentColumnsFor(inputs) != 4) return 0;
        long stage = ResidentInputKernel.StageBytes(PartInputs > 0 ? Math.Min(PartInputs, inputs) : inputs, 4);
        return stage > ResidentInputKernel.HalfGroupStageBytes || !Device.IsCuda ? StageQuads : 0;
    }

    /// <summary>The resident-input stage's capacity in 16-byte positions: what copies are planned for.</summary>
    private int StageQuads => (int)(Device.ResidentStageBytes / StageCopies.QuadBytes);

    /// <summary>Live columns per group of the resident-input kernel for layer <paramref name="k"/> (see <see cref="ResidentColumnsFor"/>).</summary>
    public int ResidentColumnsOf(int k) => ResidentColumnsFor(InputsOf(k));

    /// <summary>The widest layer input or output: what the feature buffers are sized by.</summary>
    public int MaxWidth { get; }

    /// <summary>Outputs of the last layer.</summary>
    public int Outputs => WidthAfter(LayerCount);

    public ReadOut ReadOut { get; }

    /// <summary>Whether some layer is not of the challenge's form (or not as wide as the images): the kernels for general layers run the network.</summary>
    public bool UsesGeneralKernels { get; }

    /// <summary>
    /// Whether the layer program (<see cref="LayerProgram"/>) runs the kernels for general layers:
    /// where some layer's form is not the challenge's. It never reads a layer's width, so a
    /// challenge network kept in distinct rows runs the challenge's program.
    /// </summary>
    public bool ProgramUsesGeneralKernels { get; }

    /// <summary>
    /// The last layer that adds its bias always to a zero row with a nonzero result (0 if none):
    /// the compaction after every layer before it keeps all-zero rows, which that layer brings back.
    /// </summary>
    public int ZeroRowsKeptBefore { get; }

    private readonly bool _challengeForm;
    private readonly string _description;

    /// <summary>Live columns per group of the resident-input kernel for this network (0: its layers are too wide, or the kernel is off).</summary>
    public int ResidentColumns { get; }

    /// <summary>Inputs per part of the resident-input kernel's stage (0: every input at once; see <see cref="GpuEngineOptions.InputParts"/>).</summary>
    public int PartInputs { get; }

    /// <summary>
    /// Input parts when none are asked for: two where staging every input leaves tiles of at most
    /// three columns, else one. Measured on the H200 (general 16384 x 120, whose tiles hold three
    /// columns with one part: bench/results/gpu-h200-20261205-v16): two parts 3.26 s, one 3.57 s,
    /// four 4.24 s, eight 7.60 s; each part more costs a barrier and a round trip of the partial
    /// sums per tile, which wider tiles paid for only once.
    /// </summary>
    public static int AutomaticInputParts(int maxWidth, long stageBytes)
    {
        int whole = ResidentInputKernel.ColumnsFor(maxWidth, stageBytes);
        return whole is > 0 and <= 3 ? 2 : 1;
    }

    /// <summary>Shared memory the resident-input kernel's stage takes for layer k's inputs (one part of them where parted).</summary>
    public long ResidentStageBytes(int k, int columns) =>
        ResidentInputKernel.StageBytes(PartInputs > 0 ? Math.Min(PartInputs, InputsOf(k)) : InputsOf(k), columns);

    /// <summary>Lanes an output of <see cref="SplitColumnKernel"/> (4: tiles of 16 columns, 8: of 32), whose interleaved resident-input layouts it runs; 0: the resident-input kernel runs them.</summary>
    public int SplitLanes { get; }

    /// <summary>Whether the layers with a resident-input layout also have the column-lane one (<see cref="ColumnLaneKernel"/>, tiles of 32 columns).</summary>
    public bool ColumnLanes { get; }

    /// <summary>Live columns <see cref="TailProgram"/> runs in one group (0: none; see <see cref="GpuEngineOptions.TailProgram"/>).</summary>
    public int TailColumns { get; }

    /// <summary>How <see cref="ResidentInputKernel"/> and <see cref="TailProgram"/> read their layouts' weight rows (<see cref="GpuEngineOptions.VectorSlots"/>).</summary>
    public SlotReads SlotReads { get; }

    /// <summary>Whether layer <paramref name="k"/> has a resident-input layout (it runs there while many rows are live).</summary>
    public bool HasResidentLayout(int k) => _layers[k].Resident;

    /// <summary>
    /// Whether layer k's tiled layout pads its warps to at least <see cref="LatePaddingRatio"/>
    /// times its entries (lists that need several stages and take them unevenly: distinct rows
    /// read in the reference's order, random connectivity), so that it runs on the resident-input
    /// kernel (where planned) whatever the live count (see GpuBatchRun.TakesResidentKernel).
    /// </summary>
    public bool TiledLayoutPads(int k) => PadsWarps(_layers[k].WarpRows, _layers[k].FullComputed);

    /// <summary>Whether a tiled layout of <paramref name="warpRows"/> warp rows for <paramref name="computed"/> entries pads them to <see cref="LatePaddingRatio"/> or more.</summary>
    public static bool PadsWarps(long warpRows, long computed) => computed > 0 && warpRows * (double)TiledLayout.WarpSize >= LatePaddingRatio * computed;

    /// <summary>Whether layer k has the layout <see cref="TailProgram"/> runs.</summary>
    public bool HasTailLayout(int k) => _layers[k].Tail;

    /// <summary>
    /// With few live rows a layer's time is its longest warp's chain of slots and stages: the
    /// challenge's tiled layers (one stage a block, padding 1.0) take 16-18 us there on the
    /// H100/H200, its layers in distinct rows whose blocks need 8-9 stages (padding ~2.4) 55-75 us
    /// (bench/results/gpu-20261205-v18).
    /// </summary>
    public const double LatePaddingRatio = 1.5;

    /// <summary>Whether the first layer reads binary images as bits (<see cref="ImageBitsKernel"/>; known once the first chunk is planned).</summary>
    public bool FirstLayerReadsBits => LayerCount > 0 && _layers[0].ImageBits;

    /// <summary>Whether layer k has a column-lane layout (<see cref="ColumnLaneKernel"/>).</summary>
    public bool HasColumnLaneLayout(int k) => _layers[k].ColumnLanes;

    /// <summary>Layers with a column-lane layout.</summary>
    public int ColumnLaneLayerCount => _layers.Count(l => l.ColumnLanes);

    /// <summary>Layers with a resident-input layout.</summary>
    public int ResidentLayerCount => _layers.Count(l => l.Resident);

    /// <summary>Mean over layers of the tiled layout's staged inputs per tile (block footprints added up) over the inputs: 1 = each input staged once.</summary>
    public double StagingRatio => LayerCount > 0 && Neurons > 0 ? _layers.Sum(l => l.Footprint) / ((double)LayerCount * Neurons) : 0;

    public GpuDevice Device { get; }
    public int Neurons { get; }
    public int LayerCount { get; }
    public long Weights => _layers.Sum(l => l.NonZeros);

    /// <summary>From the constructor's start until every chunk was in memory (until now while chunks are still being planned).</summary>
    public double PlanningSeconds => _completeSeconds >= 0 ? _completeSeconds : _watch.Elapsed.TotalSeconds;

    /// <summary>How long the constructor took: planning a run had to wait for before it could start.</summary>
    public double ReturnedSeconds { get; }

    /// <summary>Warp-wide rows of slots over all layers ("warpnz").</summary>
    public long WarpRowCount => _layers.Sum(l => l.WarpRows);

    /// <summary>Nonzeros the merged layouts compute (fewer than <see cref="Weights"/> where duplicate outputs are merged).</summary>
    public long ComputedWeights => _layers.Sum(l => l.MergedComputed);

    /// <summary>Padded slots over computed nonzeros of the first layouts (1 = no padding).</summary>
    public double PaddingRatio
    {
        get
        {
            long computed = _layers.Sum(l => l.FullComputed);
            return computed > 0 ? WarpRowCount * (double)TiledLayout.WarpSize / computed : 1;
        }
    }

    /// <summary>Share of the network's nonzeros the merged layouts compute (1 = no duplicate outputs merged).</summary>
    public double ComputedShare => Weights > 0 ? ComputedWeights / (double)Weights : 1;

    /// <summary>Bytes of the chunks uploaded for good.</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>Chunks kept in host memory and streamed at run time, and their bytes.</summary>
    public int StreamedChunks { get; private set; }
    public long StreamedBytes { get; private set; }

    /// <summary>Bytes of the device slots that streamed chunks pass through.</summary>
    public long SlotBytes { get; private set; }

    /// <summary>Device bytes the plan occupies.</summary>
    public long DeviceBytes => ResidentBytes + SlotBytes;

    /// <summary>
    /// Device bytes the plan will occupy: <see cref="DeviceBytes"/> once complete; before, with
    /// room for the chunks still to come (each as large as the largest so far, and a quarter more).
    /// </summary>
    public long ExpectedDeviceBytes
    {
        get
        {
            lock (_gate)
                return _complete ? DeviceBytes : DeviceBytes + (ChunkCount - _published) * _maxChunkBytes / 4 * 5;
        }
    }

    /// <summary>Chunks of <see cref="LayersPerChunk"/> layers (the last may have fewer).</summary>
    public int ChunkCount { get; }

    public int LayersPerChunk => _perChunk;

    /// <summary>Whether every chunk is in memory.</summary>
    public bool IsComplete
    {
        get
        {
            lock (_gate) return _complete;
        }
    }

    /// <summary>What the plan cache did: off, read, written, replaced (and why), not written.</summary>
    public string CacheState { get; private set; } = "off";

    /// <summary>Where planning's time went (per stage, summed over its threads; the stages overlap).</summary>
    public string Phases
    {
        get
        {
            var c = CultureInfo.InvariantCulture;
            var parts = new List<string>();
            if (_key is not null) parts.Add(string.Create(c, $"network checksum {_checksumSeconds:F3} s"));
            if (_readSeconds > 0) parts.Add(string.Create(c, $"cache read {_readSeconds:F3} s"));
            double work = _layerTicks / (double)Stopwatch.Frequency;
            int planned = Math.Max(1, Volatile.Read(ref _layersPlanned));
            parts.Add(_workers.Count == 0 ? string.Create(c, $"layers {_planSeconds:F3} s")
                : string.Create(c, $"layers {_planSeconds:F3} s ({_workers.Count} threads, {work:F1} s of work, {work * 1e3 / planned:F1} ms a layer)"));
            parts.Add(string.Create(c, $"packing {_packSeconds:F3} s"));
            parts.Add(string.Create(c, $"upload {_uploadSeconds:F3} s"));
            if (_writeSeconds > 0) parts.Add(string.Create(c, $"cache write {_writeSeconds:F3} s"));
            return string.Join(", ", parts);
        }
    }

    /// <summary>
    /// Chunk <paramref name="index"/>, once it is in memory (a streamed chunk: once the whole plan
    /// is, since streaming needs every chunk's size); rethrows a failure of planning.
    /// </summary>
    public PlanChunk Chunk(int index) => Chunk(index, out _);

    /// <summary><see cref="Chunk(int)"/>, and how long it waited (0 when the chunk was there).</summary>
    public PlanChunk Chunk(int index, out double waitedSeconds)
    {
        long start = 0;
        waitedSeconds = 0;
        lock (_gate)
        {
            while (true)
            {
                if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
                var chunk = index < _published ? _chunks[index] : null;
                if (chunk is not null && (chunk.Resident is not null || _complete))
                {
                    if (start != 0) waitedSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    return chunk;
                }
                if (start == 0) start = Stopwatch.GetTimestamp();
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>Waits until every chunk is in memory.</summary>
    public void WaitComplete()
    {
        lock (_gate)
        {
            while (!_complete)
            {
                if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>The streamed chunks in order (once complete).</summary>
    public PlanChunk[] StreamedChunkList
    {
        get
        {
            WaitComplete();
            return [.. _chunks.Where(c => c!.Streamed is not null).Select(c => c!)];
        }
    }

    /// <summary>The device slot that streamed chunk <paramref name="streamIndex"/> passes through.</summary>
    public DeviceChunk Slot(int streamIndex) => _slots[streamIndex % 2] ?? throw new InvalidOperationException("The plan streams no chunks.");

    /// <summary>Looks the plan up in the cache folder: a reader when a file checks out, else a writer for a new one.</summary>
    private PlanCacheKey? OpenCache(string folder, ILayerSource network)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(folder);
            var key = PlanCacheKey.For(network, _options, ResidentColumns, PartInputs, ColumnLanes, TailColumns,
                _options.StageCopies ? StageQuads : 0, _parallel);
            _checksumSeconds = watch.Elapsed.TotalSeconds;
            string path = Path.Combine(folder, key.FileName);
            _reader = PlanCacheReader.Open(path, key, LayerCount, _perChunk, out var problem);
            if (_reader is not null)
            {
                CacheState = $"read {path}";
                return key;
            }
            if (problem is not null) Note($"plan cache {path}: {problem}; planned again, and the file replaced");
            _writer = new PlanCacheWriter(path, key, LayerCount, ChunkCount);
            _writeFrom = 0;
            CacheState = problem is null ? $"written {path}" : $"replaced {path} ({problem})";
            return key;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Note($"plan cache {folder}: {e.Message}; planning without it");
            CacheState = $"not used ({e.Message})";
            return null;
        }
    }

    private void Note(string message) => _note?.Invoke(message);

    /// <summary>The maker: each chunk read from the cache or planned and packed, in order, into a free buffer.</summary>
    private void Make()
    {
        PinnedChunk? held = null; // a buffer taken and not handed on yet
        try
        {
            // Page-locked buffers are made here: CUDA calls need the device's context current on this thread.
            Device.Accelerator.Bind();
            for (int c = 0; c < ChunkCount; c++)
            {
                int first = c * _perChunk, count = Math.Min(_perChunk, LayerCount - first);
                held = _free.Take(_stop.Token);
                long start = Stopwatch.GetTimestamp();
                if (_reader is { } reader)
                {
                    held = Fit(held, reader.LargestChunk);
                    if (reader.TryRead(c, held, _parallel, out var problem))
                    {
                        reader.Header.Layers.AsSpan(first, count).CopyTo(_layers.AsSpan(first, count));
                        _readSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                        _toUpload.Add(held, _stop.Token);
                        held = null;
                        continue;
                    }
                    ReplanFrom(c, problem!);
                    start = Stopwatch.GetTimestamp();
                }
                if (_workers.Count == 0) StartLayerWorkers(c);
                using var chunk = TakePlanned(c);
                CheckShapes(first, count);
                _planSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                start = Stopwatch.GetTimestamp();
                held = Fit(held, chunk.Shape);
                chunk.PackInto(held, _parallel);
                _packSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                _toUpload.Add(held, _stop.Token);
                held = null;
            }
        }
        catch (Exception e)
        {
            held?.Dispose();
            Fail(e);
        }
        finally
        {
            _toUpload.CompleteAdding();
        }
    }

    /// <summary>
    /// Starts the layer workers on the layers of chunk <paramref name="chunk"/> on: from the first
    /// chunk, or from one the plan cache could not give.
    /// </summary>
    private void StartLayerWorkers(int chunk)
    {
        lock (_layerGate)
        {
            _nextLayer = chunk * _perChunk;
            _planBefore = chunk + PlannedAhead + 1;
        }
        for (int w = 0; w < _layerWorkers; w++)
        {
            var worker = new Thread(PlanLayers) { IsBackground = true, Name = "spdnn-gpu-layer-planner" };
            _workers.Add(worker);
            worker.Start();
        }
    }

    /// <summary>
    /// Chunks the workers plan beyond the one the maker waits for or packs: one, so that no worker
    /// waits for a chunk to be packed (nor for its slowest layer), and host memory holds the
    /// layouts of two or three chunks.
    /// </summary>
    private const int PlannedAhead = 1;

    /// <summary>
    /// A layer worker: plans the next layer in order, as long as its chunk is at most
    /// <see cref="PlannedAhead"/> beyond the one the maker waits for; stops after the last layer,
    /// or when planning stops.
    /// </summary>
    private void PlanLayers()
    {
        try
        {
            while (true)
            {
                int k;
                lock (_layerGate)
                {
                    while (!_stop.IsCancellationRequested && _nextLayer < LayerCount && _nextLayer / _perChunk >= _planBefore) Monitor.Wait(_layerGate);
                    if (_stop.IsCancellationRequested || _nextLayer >= LayerCount) return;
                    k = _nextLayer++;
                    // Claimed in layer order: the worker of layer k + 1 then waits for layer k's rows rather than reading layer k too.
                    _distinctRows?.Claim(k);
                }
                long start = Stopwatch.GetTimestamp();
                var layouts = _planner.PlanLayer(k);
                Interlocked.Add(ref _layerTicks, Stopwatch.GetTimestamp() - start);
                Interlocked.Increment(ref _layersPlanned);
                lock (_layerGate)
                {
                    _planned[k] = layouts;
                    if (--_unplanned[k / _perChunk] == 0) Monitor.PulseAll(_layerGate);
                }
            }
        }
        catch (Exception e)
        {
            // As a parallel loop reports it (the CLI reports the first inner exception).
            Fail(new AggregateException(e));
            lock (_layerGate) Monitor.PulseAll(_layerGate);
        }
    }

    /// <summary>
    /// Chunk <paramref name="chunk"/> once the workers have planned all its layers (letting them on
    /// to the next chunk meanwhile); throws when planning stopped.
    /// </summary>
    private LayerChunk TakePlanned(int chunk)
    {
        int first = chunk * _perChunk, count = Math.Min(_perChunk, LayerCount - first);
        var layers = new LayerLayouts[count];
        lock (_layerGate)
        {
            _planBefore = Math.Max(_planBefore, chunk + PlannedAhead + 1);
            Monitor.PulseAll(_layerGate);
            while (_unplanned[chunk] > 0)
            {
                _stop.Token.ThrowIfCancellationRequested();
                Monitor.Wait(_layerGate);
            }
            for (int i = 0; i < count; i++)
            {
                layers[i] = _planned[first + i]!;
                _planned[first + i] = null;
                _layers[first + i] = layers[i].Planned;
            }
        }
        return ChunkPlanner.Assemble(first, layers);
    }

    /// <summary>
    /// A chunk of the cache file did not check out: reported once, planned from here on, and the
    /// file replaced (the chunks before, which did check out, copied from it).
    /// </summary>
    private void ReplanFrom(int chunk, string problem)
    {
        var reader = _reader!;
        _reader = null;
        _damaged = reader;
        Note($"plan cache {reader.Path}: {problem}; planned again from there, and the file replaced");
        CacheState = $"replaced {reader.Path} ({problem})";
        PlanCacheWriter? writer = null;
        try
        {
            writer = new PlanCacheWriter(reader.Path, _key!, LayerCount, ChunkCount);
            for (int c = 0; c < chunk; c++) writer.Copy(reader, c);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            writer?.Dispose();
            NotWritten(e);
            return;
        }
        lock (_gate)
        {
            _writer = writer;
            _writeFrom = chunk;
        }
        StartWriter();
    }

    /// <summary><paramref name="buffer"/> when it holds <paramref name="shape"/>, else a larger one in its place.</summary>
    private PinnedChunk Fit(PinnedChunk? buffer, ChunkShape shape)
    {
        if (buffer is not null && buffer.Capacity.Holds(shape)) return buffer;
        buffer?.Dispose();
        // Room for later chunks a little larger, so that buffers are seldom made again.
        _bufferShape = ChunkShape.Max(_bufferShape, shape.Scaled(1.05));
        return new PinnedChunk(Device.Accelerator, _bufferShape);
    }

    /// <summary>The uploader: each chunk to the device (or kept page-locked, to stream), in order; then the streaming slots.</summary>
    private void Upload()
    {
        try
        {
            Device.Accelerator.Bind();
            bool streaming = _options.Weights == WeightResidency.Streamed;
            var slotShape = ChunkShape.Empty;
            int index = 0;
            foreach (var buffer in _toUpload.GetConsumingEnumerable(_stop.Token))
            {
                long start = Stopwatch.GetTimestamp();
                long bytes = buffer.Shape.Bytes;
                // Leave room for two streaming slots should a later chunk not fit.
                streaming |= _options.Weights == WeightResidency.Auto && ResidentBytes + bytes + bytes / 2 * 5 > _weightBudget;
                PlanChunk chunk;
                if (streaming)
                {
                    // The buffer itself becomes the page-locked chunk; the maker gets a new one.
                    chunk = new PlanChunk(buffer.FirstLayer, buffer.Count, buffer.MaxBlocks, null, buffer, StreamedChunks);
                    StreamedChunks++;
                    StreamedBytes += bytes;
                    slotShape = ChunkShape.Max(slotShape, buffer.Shape);
                }
                else
                {
                    DeviceChunk? device = null;
                    try
                    {
                        device = new DeviceChunk(Device.Accelerator, buffer.Shape);
                        device.BeginLoad(_copyStream, buffer);
                        _copyStream.Synchronize();
                    }
                    catch
                    {
                        device?.Dispose();
                        buffer.Dispose();
                        throw;
                    }
                    chunk = new PlanChunk(buffer.FirstLayer, buffer.Count, buffer.MaxBlocks, device, null, -1);
                    ResidentBytes += bytes;
                }
                _uploadSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                bool write;
                lock (_gate)
                {
                    _chunks[index] = chunk;
                    _maxChunkBytes = Math.Max(_maxChunkBytes, bytes);
                    _published = ++index;
                    write = index - 1 >= _writeFrom;
                    Monitor.PulseAll(_gate);
                }
                if (write) _toWrite.Add((buffer, streaming));
                else _free.Add(streaming ? null : buffer);
            }
            if (index < ChunkCount) return; // the maker failed or was stopped
            if (StreamedChunks > 0)
            {
                for (int s = 0; s < Math.Min(2, StreamedChunks); s++) _slots[s] = new DeviceChunk(Device.Accelerator, slotShape);
                SlotBytes = slotShape.Bytes * Math.Min(2, StreamedChunks);
            }
            lock (_gate)
            {
                _complete = true;
                _completeSeconds = _watch.Elapsed.TotalSeconds;
                Monitor.PulseAll(_gate);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            _toWrite.CompleteAdding();
        }
    }

    private void StartWriter()
    {
        _writerThread = new Thread(Write) { IsBackground = true, Name = "spdnn-gpu-plan-cache" };
        _writerThread.Start();
    }

    /// <summary>The cache writer: appends chunks as they were uploaded, then puts the file in place once every chunk is in it.</summary>
    private void Write()
    {
        var writer = _writer!;
        bool writing = true;
        foreach (var (buffer, kept) in _toWrite.GetConsumingEnumerable())
        {
            if (writing && !_stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    writer.Write(buffer);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    writing = false;
                    NotWritten(e);
                }
                _writeSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            _free.Add(kept ? null : buffer);
        }
        bool whole;
        lock (_gate) whole = _complete && _failure is null;
        if (!writing || !whole || writer.Written != ChunkCount) return;
        try
        {
            long start = Stopwatch.GetTimestamp();
            writer.Commit(_layers);
            _writeSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            NotWritten(e);
        }
    }

    private void NotWritten(Exception e)
    {
        Note($"plan cache {_writer?.Path ?? _damaged?.Path}: not written ({e.Message})");
        CacheState = $"not written ({e.Message})";
    }

    private void Fail(Exception e)
    {
        lock (_gate)
        {
            _failure ??= e;
            Monitor.PulseAll(_gate);
        }
        _stop.Cancel();
    }

    /// <summary>
    /// Stops planning and frees the plan. With a cache file being written and nothing failed,
    /// planning is finished first so that the file is complete (a run that ended early, all its
    /// images dead, leaves the last chunks to plan).
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        bool finish;
        lock (_gate) finish = _failure is null && _writer is not null && !_stop.IsCancellationRequested;
        if (!finish) _stop.Cancel();
        if (_maker.IsAlive) _maker.Join();
        // With the maker done, the workers have planned every layer or were stopped with it.
        foreach (var worker in _workers) worker.Join();
        foreach (var layouts in _planned) layouts?.Dispose();
        if (_uploader.IsAlive) _uploader.Join();
        if (_writerThread?.IsAlive == true) _writerThread.Join();
        foreach (var chunk in _chunks)
        {
            chunk?.Resident?.Dispose();
            chunk?.Streamed?.Dispose();
        }
        foreach (var slot in _slots) slot?.Dispose();
        foreach (var buffer in _toUpload) buffer.Dispose();
        foreach (var (buffer, kept) in _toWrite)
            if (!kept) buffer.Dispose();
        foreach (var buffer in _free) buffer?.Dispose();
        _writer?.Dispose();
        _reader?.Dispose();
        _damaged?.Dispose();
        _copyStream.Dispose();
        _stop.Dispose();
    }
}
