using SpDnn.Engines;

namespace SpDnn.Engines.Gpu;

/// <summary>Which accelerator the GPU engine runs its kernels on.</summary>
public enum GpuAcceleratorChoice
{
    /// <summary>The CUDA device <see cref="GpuEngineOptions.DeviceIndex"/>; fails when there is none.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator: the same kernels, simulated on the CPU (tests only; slow).</summary>
    CpuSimulator,
}

/// <summary>Where the planned weights live while a network runs.</summary>
public enum WeightResidency
{
    /// <summary>On the device while they fit the memory budget; the remaining layers streamed from host memory.</summary>
    Auto,

    /// <summary>All on the device (planning fails when they do not fit).</summary>
    Resident,

    /// <summary>All in page-locked host memory, copied to the device chunk by chunk while the previous chunk computes.</summary>
    Streamed,
}

/// <summary>
/// Outputs equal by construction (the same inputs with bit-equal weights and a bit-equal bias:
/// Kronecker-built layers such as the challenge's have 16 of each) can be computed once and their
/// activations written to all of them (<see cref="DuplicateOutputs"/>); exact either way.
/// </summary>
public enum DuplicateOutputMerge
{
    /// <summary>Every output computed.</summary>
    Off,

    /// <summary>Always the merged layout (a fraction of the work, but fewer and longer work items: slower once few rows are live).</summary>
    On,

    /// <summary>Both layouts planned; each layer takes the merged one while its work items fill the device, else the full one.</summary>
    Auto,
}

/// <summary>How many feature rows a layer's outputs take.</summary>
public enum FeatureRows
{
    /// <summary>One row per output neuron.</summary>
    All,

    /// <summary>
    /// One row per distinct output, where a layer's outputs equal by construction (the same inputs
    /// with bit-equal weights and bias) would leave at most half of its rows: fewer features
    /// written and read, every sum still in the reference's order. The last layer keeps every
    /// output. A network of the challenge's form takes it only where its first layer shrinks.
    /// </summary>
    Distinct,
}

/// <summary>Which kernel runs a layer while many rows are live.</summary>
public enum FullWidthKernel
{
    /// <summary>Per layer, from its planned structure: the resident-input kernel where the tiled layout would stage most inputs many times over (scattered connectivity), else the tiled one.</summary>
    Auto,

    /// <summary>Always the layer program's tiled kernel (per-block input footprints in shared memory).</summary>
    Tiled,

    /// <summary>The resident-input kernel (every input of a tile of columns in shared memory) for every layer narrow enough for it.</summary>
    Resident,
}

/// <summary>Which layers <see cref="TailProgram"/> runs once the live rows fit its tile (one group, layer after layer, one launch).</summary>
public enum TailProgramLayers
{
    /// <summary>
    /// Layers that would each take two launches otherwise (the resident-input kernel, where their
    /// tiled layout pads, then the layer program's compaction) and read distinct rows. Measured on
    /// the H200 (2026-12-05, bench/results/gpu-20261205-v20): 16384 x 1920 37.5 against 61.7 ms,
    /// 16384 x 120 7.7 against 9.3. Where late layers run in the layer program (N = 1024, 4096),
    /// a layer in one group (~17 us) is slower than the program's grid of groups: no tail there.
    /// </summary>
    Auto,

    /// <summary>Every layer with a resident-input layout.</summary>
    On,

    /// <summary>None.</summary>
    Off,
}

/// <summary>How many lanes share an output in resident-input tiles (<see cref="SplitColumnKernel"/>).</summary>
public enum SplitColumnLanes
{
    /// <summary>
    /// Four lanes where tiles are 16 columns wide, else none. Measured on the H200 (2026-12-04):
    /// general 1024 x 120 0.0872 s with four against 0.107 s with one or eight (eight: groups of
    /// 512 threads, one a multiprocessor, too few warps); challenge 1024 x 120 5.86 against 6.18 ms.
    /// </summary>
    Auto,

    /// <summary>One lane an output (the resident-input kernel).</summary>
    Off,

    /// <summary>Four lanes an output where tiles are 16 columns wide.</summary>
    Four,

    /// <summary>Eight lanes an output (tiles of 32 columns) where their stage fits and no tile width is set, else as <see cref="Four"/>.</summary>
    Eight,
}

/// <summary>Settings of the GPU engine; the defaults are what a user wants.</summary>
public sealed record GpuEngineOptions
{
    /// <summary>CUDA normally; ILGPU's CPU simulator runs the same kernels without a GPU (tests).</summary>
    public GpuAcceleratorChoice Accelerator { get; init; } = GpuAcceleratorChoice.Cuda;

    /// <summary>Which CUDA device (0-based, in CUDA's order) when several are present.</summary>
    public int DeviceIndex { get; init; }

    /// <summary>Merge bit-identical live rows and compute each once (exact).</summary>
    public bool CollapseIdenticalRows { get; init; } = true;

    /// <summary>
    /// With <see cref="CollapseIdenticalRows"/>: whether, until rows first merge, an attempt to
    /// merge them is made only where merging is estimated to pay over the remaining layers (a
    /// layer saves ~1 us plus reading the rows' features, against ~1.2 ms for the merges: fitted
    /// on the H200, see bench/results/gpu-20261205-v20); off: wherever rows settle. Exact either
    /// way. Measured (H200, gpu-20261205-v20): 1024 x 120 2.31 ms without
    /// merging against 3.52 with; 65536 x 120 33.6 against 25.3 ms.
    /// </summary>
    public bool CollapseWherePays { get; init; } = true;

    /// <summary>
    /// Device memory the engine may use, in bytes; 0 means 90% of the device's free memory.
    /// Images that do not fit next to the plan run in several batches.
    /// </summary>
    public long DeviceMemoryBudget { get; init; }

    /// <summary>Where the weights live: see <see cref="WeightResidency"/>.</summary>
    public WeightResidency Weights { get; init; } = WeightResidency.Auto;

    /// <summary>
    /// Fused multiply-adds where they are exact: layers whose weights are all powers of two, for
    /// stages whose inputs keep every product exact (see <see cref="ExactProducts"/>); bit-identical
    /// to the rounded products either way.
    /// </summary>
    public bool FusedProducts { get; init; } = true;

    /// <summary>
    /// Whether outputs equal by construction (same inputs, bit-equal weights and bias) are
    /// computed once and copied: see <see cref="DuplicateOutputMerge"/>.
    /// </summary>
    public DuplicateOutputMerge MergeDuplicateOutputs { get; init; } = DuplicateOutputMerge.Off;

    /// <summary>
    /// Feature rows per layer: <see cref="FeatureRows.Distinct"/> by default, faster than
    /// <see cref="FeatureRows.All"/> on all 12 challenge networks in one H200 run (1.05x at
    /// 16384 x 1920 to 5.3x at 65536 x 120: bench/results/gpu-20261205-v18, call 4); a
    /// network without outputs equal by construction keeps every row either way.
    /// </summary>
    public FeatureRows Rows { get; init; } = FeatureRows.Distinct;

    /// <summary>Which kernel runs full-width layers: see <see cref="FullWidthKernel"/>.</summary>
    public FullWidthKernel Kernel { get; init; } = FullWidthKernel.Auto;

    /// <summary>
    /// Live rows up to which every group of the layer program compacts the live list itself
    /// after a layer (one grid barrier a layer instead of three): 1 to
    /// 2048 (the default; 256 before 2026-12-05).
    /// </summary>
    public int GroupCompactionRows { get; init; } = LayerProgram.MaxInGroupRows;

    /// <summary>
    /// How groups wait at the layer program's grid barrier: on a release word, on a line of its
    /// own, that the last group to arrive raises (on); or on the arrivals themselves (off, the
    /// default: one round trip fewer for the last arrival, though polls queue with arrivals at one
    /// address). Measured on an H100 (bench/results/gpu-20261205-v20, call 5): off 1024 x 1920
    /// 23.3 against 24.7 ms, 4096 x 1920 26.3 against 27.3; on 16384 x 120 8.8 against 9.1 ms.
    /// </summary>
    public bool BarrierReleaseWord { get; init; }

    /// <summary>
    /// Whether the host reads the live rows at a checkpoint while the next launch runs, acting on
    /// the checkpoint before (on): the device does not wait through the host's turnaround; or waits
    /// for each checkpoint's rows before launching again (off). Merge attempts and the last layer
    /// always wait for the rows they need.
    /// </summary>
    public bool LaggedCheckpoints { get; init; } = true;

    /// <summary>
    /// Whether the resident-input and tail layouts keep each lane's weight rows four by four
    /// together (on), so that a lane reads four rows' indices and weights as one 8-byte and one
    /// 16-byte load; or a warp row's 32 slots together (off), one scalar load a row and lane.
    /// The sums add in the same order either way.
    /// </summary>
    public bool VectorSlots { get; init; } = true;

    /// <summary>
    /// Whether resident-input stages of four columns that take a multiprocessor's shared memory
    /// anyway keep second copies of their inputs, on other bank groups, in the memory they leave
    /// unused, each weight row's reads pointed at the copies that spread them over the banks
    /// (<see cref="StageCopies"/>; vector slots only). The sums are the same either way.
    /// Off by default until measured on the device (NOTES v23).
    /// </summary>
    public bool StageCopies { get; init; }

    /// <summary>Live columns per group of the resident-input kernel: 2, 3, 4, 8 or 16; 0 picks the widest whose stage fits shared memory.</summary>
    public int ResidentColumns { get; init; }

    /// <summary>
    /// Parts the resident-input kernel stages a layer's inputs in, one after the other (the sums
    /// carried across parts in the output rows, in the same order): a stage of a part holds more
    /// columns, so each weight read feeds more products. 0: automatic (two parts where all inputs
    /// at once leave tiles of at most three columns, as at N = 16384: <see cref="GpuPlan.AutomaticInputParts"/>);
    /// 1: all inputs at once; up to 64.
    /// </summary>
    public int InputParts { get; init; }

    /// <summary>
    /// Whether narrow layers (a stage of 32 columns fits shared memory: N up to ~1800) run wide
    /// tiles on <see cref="ColumnLaneKernel"/> (lanes = columns) rather than the resident-input
    /// kernel's lanes = outputs; only where no tile width is set (<see cref="ResidentColumns"/>).
    /// </summary>
    public bool ColumnLanes { get; init; } = true;

    /// <summary>
    /// Whether resident-input tiles run on <see cref="SplitColumnKernel"/> (several lanes an
    /// output, a quad of columns each) rather than one lane an output: the same sums in the same
    /// order, with fewer shared-memory bank conflicts. See <see cref="SplitColumnLanes"/>.
    /// </summary>
    public SplitColumnLanes SplitColumns { get; init; } = SplitColumnLanes.Auto;

    /// <summary>Which layers run in one group, layer after layer, once the live rows fit one narrow tile: see <see cref="TailProgramLayers"/>.</summary>
    public TailProgramLayers TailProgram { get; init; } = TailProgramLayers.Auto;

    /// <summary>
    /// Whether a first layer of at most 65536 inputs reads binary images as bits
    /// (<see cref="ImageBitsKernel"/>: 4 bytes per input for 32 images) rather than as expanded
    /// float features (128); the same sums in the same order. Images with other values are
    /// expanded either way.
    /// </summary>
    public bool ImageBits { get; init; } = true;

    /// <summary>Layers per chunk: one kernel launch runs at most one chunk; streamed weights move a chunk at a time.</summary>
    public int LayersPerChunk { get; init; } = 32;

    /// <summary>Tests only: launch up to this many groups whatever the occupancy figure says (0: the figure).</summary>
    internal int ResidentGroupsOverride { get; init; }

    /// <summary>
    /// How long the layer program's groups wait at a grid barrier before the engine concludes
    /// that not all of them are resident (a device shared with other work) and reruns the batch
    /// with fewer groups. Raise it on a device whose other work can hold it longer.
    /// </summary>
    public TimeSpan BarrierTimeout { get; init; } = LayerProgram.DefaultBarrierTimeout;

    /// <summary>Tests only, CPU simulator: polls after which a grid barrier gives up (0: never).</summary>
    internal int SimulatedBarrierPollLimit { get; init; }

    /// <summary>Multiprocessors of the CPU simulator (each runs one group at a time); more than one exercises the grid barrier.</summary>
    public int SimulatedMultiprocessors { get; init; } = 1;

    /// <summary>
    /// Record each layer's device time (one layer per launch, timed by events on the device;
    /// the device is opened with profiling).
    /// </summary>
    public bool TimeEachLayer { get; init; }

    /// <summary>The settings <c>--engine gpu:key=value...</c> takes.</summary>
    public const string SettingsHelp = "weights=auto|resident|streamed, chunk=LAYERS, collapse=on|off, collapse-rule=on|off, fused=on|off, dedupe=off|on|auto, rows=all|distinct, kernel=auto|tiled|resident, columns=0|2|3|4|8|16, parts=0|1..64, lanes=on|off, split=auto|off|four|eight, tail=auto|on|off, bits=on|off, group-rows=1..2048, barrier-release=on|off, lag=on|off, vector-slots=on|off, stage-copies=on|off, barrier-timeout=SECONDS, device=INDEX, time-layers=on|off";

    /// <summary>Options from an engine spec such as <c>gpu:weights=streamed:chunk=16</c>; defaults elsewhere.</summary>
    public static GpuEngineOptions FromSpec(EngineSpec spec)
    {
        var defaults = new GpuEngineOptions();
        var options = new GpuEngineOptions
        {
            Weights = spec.TakeEnum<WeightResidency>("weights") ?? defaults.Weights,
            LayersPerChunk = spec.TakeInt("chunk", 1) ?? defaults.LayersPerChunk,
            BarrierTimeout = spec.TakeInt("barrier-timeout", 1) is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.BarrierTimeout,
            CollapseIdenticalRows = spec.TakeSwitch("collapse") ?? defaults.CollapseIdenticalRows,
            CollapseWherePays = spec.TakeSwitch("collapse-rule") ?? defaults.CollapseWherePays,
            FusedProducts = spec.TakeSwitch("fused") ?? defaults.FusedProducts,
            MergeDuplicateOutputs = spec.TakeEnum<DuplicateOutputMerge>("dedupe") ?? defaults.MergeDuplicateOutputs,
            Rows = spec.TakeEnum<FeatureRows>("rows") ?? defaults.Rows,
            Kernel = spec.TakeEnum<FullWidthKernel>("kernel") ?? defaults.Kernel,
            ResidentColumns = spec.TakeInt("columns", 0) ?? defaults.ResidentColumns,
            InputParts = spec.TakeInt("parts", 0) ?? defaults.InputParts,
            TailProgram = spec.TakeEnum<TailProgramLayers>("tail") ?? defaults.TailProgram,
            ImageBits = spec.TakeSwitch("bits") ?? defaults.ImageBits,
            GroupCompactionRows = spec.TakeInt("group-rows", 1) ?? defaults.GroupCompactionRows,
            BarrierReleaseWord = spec.TakeSwitch("barrier-release") ?? defaults.BarrierReleaseWord,
            LaggedCheckpoints = spec.TakeSwitch("lag") ?? defaults.LaggedCheckpoints,
            VectorSlots = spec.TakeSwitch("vector-slots") ?? defaults.VectorSlots,
            StageCopies = spec.TakeSwitch("stage-copies") ?? defaults.StageCopies,
            ColumnLanes = spec.TakeSwitch("lanes") ?? defaults.ColumnLanes,
            SplitColumns = spec.TakeEnum<SplitColumnLanes>("split") ?? defaults.SplitColumns,
            DeviceIndex = spec.TakeInt("device", 0) ?? defaults.DeviceIndex,
            TimeEachLayer = spec.TakeSwitch("time-layers") ?? defaults.TimeEachLayer,
        };
        spec.RejectUnknown(SettingsHelp);
        if (options.ResidentColumns is not (0 or 2 or 3 or 4 or 8 or 16))
            throw new SpDnnUsageException($"Engine setting columns={options.ResidentColumns}: expected 0 (automatic), 2, 3, 4, 8 or 16.");
        if (options.InputParts > 64)
            throw new SpDnnUsageException($"Engine setting parts={options.InputParts}: expected 0 (automatic) to 64.");
        if (options.GroupCompactionRows > LayerProgram.MaxInGroupRows)
            throw new SpDnnUsageException($"Engine setting group-rows={options.GroupCompactionRows}: expected 1 to {LayerProgram.MaxInGroupRows}.");
        return options;
    }

    /// <summary>The settings that differ from the defaults, as an engine spec suffix (":key=value..."), for reports.</summary>
    public string SpecSuffix()
    {
        var defaults = new GpuEngineOptions();
        var parts = new List<string>();
        if (Weights != defaults.Weights) parts.Add("weights=" + Weights.ToString().ToLowerInvariant());
        if (LayersPerChunk != defaults.LayersPerChunk) parts.Add("chunk=" + LayersPerChunk.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (CollapseIdenticalRows != defaults.CollapseIdenticalRows) parts.Add("collapse=" + (CollapseIdenticalRows ? "on" : "off"));
        if (CollapseWherePays != defaults.CollapseWherePays) parts.Add("collapse-rule=" + (CollapseWherePays ? "on" : "off"));
        if (FusedProducts != defaults.FusedProducts) parts.Add("fused=" + (FusedProducts ? "on" : "off"));
        if (MergeDuplicateOutputs != defaults.MergeDuplicateOutputs) parts.Add("dedupe=" + MergeDuplicateOutputs.ToString().ToLowerInvariant());
        if (Rows != defaults.Rows) parts.Add("rows=" + Rows.ToString().ToLowerInvariant());
        if (BarrierTimeout != defaults.BarrierTimeout) parts.Add("barrier-timeout=" + BarrierTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Kernel != defaults.Kernel) parts.Add("kernel=" + Kernel.ToString().ToLowerInvariant());
        if (ResidentColumns != defaults.ResidentColumns) parts.Add("columns=" + ResidentColumns.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (InputParts != defaults.InputParts) parts.Add("parts=" + InputParts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (ColumnLanes != defaults.ColumnLanes) parts.Add("lanes=" + (ColumnLanes ? "on" : "off"));
        if (SplitColumns != defaults.SplitColumns) parts.Add("split=" + SplitColumns.ToString().ToLowerInvariant());
        if (TailProgram != defaults.TailProgram) parts.Add("tail=" + TailProgram.ToString().ToLowerInvariant());
        if (ImageBits != defaults.ImageBits) parts.Add("bits=" + (ImageBits ? "on" : "off"));
        if (BarrierReleaseWord != defaults.BarrierReleaseWord) parts.Add("barrier-release=" + (BarrierReleaseWord ? "on" : "off"));
        if (LaggedCheckpoints != defaults.LaggedCheckpoints) parts.Add("lag=" + (LaggedCheckpoints ? "on" : "off"));
        if (VectorSlots != defaults.VectorSlots) parts.Add("vector-slots=" + (VectorSlots ? "on" : "off"));
        if (StageCopies != defaults.StageCopies) parts.Add("stage-copies=" + (StageCopies ? "on" : "off"));
        if (GroupCompactionRows != defaults.GroupCompactionRows) parts.Add("group-rows=" + GroupCompactionRows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (TimeEachLayer != defaults.TimeEachLayer) parts.Add("time-layers=" + (TimeEachLayer ? "on" : "off"));
        return string.Concat(parts.Select(p => ":" + p));
    }
}
