namespace SpDnn.Engines.Cpu;

/// <summary>How the CPU engine computes a layer.</summary>
public enum CpuFormulation
{
    /// <summary>Chosen per layer from the measured density of the live rows.</summary>
    Auto,

    /// <summary>Scatter: for each input nonzero in any row of a tile of 16, add x_i·W(i, :) to the tile's sums (skips zero inputs).</summary>
    SparseInput,

    /// <summary>Gather over a tile of 16 live rows held densely, image-interleaved, one SIMD lane per row.</summary>
    DenseTile,
}

/// <summary>Tuning and test switches of <see cref="CpuEngine"/>; the defaults are the fast, exact engine.</summary>
public sealed record CpuEngineOptions
{
    /// <summary>How a layer is multiplied; <see cref="CpuFormulation.Auto"/> chooses from the density of the live rows.</summary>
    public CpuFormulation Formulation { get; init; } = CpuFormulation.Auto;

    /// <summary>
    /// With <see cref="CpuFormulation.Auto"/>, a tile is gathered when at least this fraction of
    /// the inputs is nonzero in some row of the tile, and scattered otherwise (the scatter does a
    /// read-modify-write per weight where the gather does a load: about twice the cost per
    /// weight, measured on a Xeon with AVX-512, so the scatter pays below about 40%).
    /// </summary>
    public double DenseTileMinDensity { get; init; } = 0.4;

    /// <summary>Compute each set of bit-identical live rows once (exact for any network).</summary>
    public bool CollapseIdenticalRows { get; init; } = true;

    /// <summary>
    /// Compute each set of outputs equal by construction (same inputs, bit-equal weights and
    /// bias) once and write its value to all of them (<see cref="OutputCopies"/>; exact for any
    /// network). Kronecker-built layers such as the challenge's have 16 such outputs each
    /// (measured 1.2x-3.9x faster on N = 1024, 4096 and 16384); a network without
    /// them only pays a hash of each output's weights while planning.
    /// </summary>
    public bool MergeDuplicateOutputs { get; init; } = true;

    /// <summary>
    /// Layers planned ahead while earlier ones run. 0: decide from the network size and the
    /// memory available (all layers when they fit); otherwise stream with this many plans held.
    /// </summary>
    public int PlanWindow { get; init; }

    /// <summary>
    /// Images run through the network together. 0: all, unless their rows would not fit the
    /// memory available (estimated at every neuron nonzero, double-buffered); then the batch is
    /// split and the parts run one after the other until their survivors fit one batch (streamed
    /// plans are built once: the first part keeps them for the others where memory allows).
    /// </summary>
    public int MaxBatchImages { get; init; }

    /// <summary>Fraction of the available memory that held layer plans may use before the engine streams.</summary>
    public double PlanMemoryFraction { get; init; } = 0.4;

    /// <summary>
    /// The SIMD vectors of a tile, chosen once per engine: by default the widest this machine runs in
    /// hardware. Forcing one gives the same bits; it lets tests and benchmarks run the paths of
    /// other machines (e.g. Vector256, as on AVX2 machines without AVX-512).
    /// </summary>
    public CpuSimd Simd { get; init; } = CpuSimd.Auto;

    /// <summary>
    /// Layer by layer over all images, or tile by tile through all layers (<see cref="CpuRunOrder"/>);
    /// by default chosen per network. Both give the same bits.
    /// </summary>
    public CpuRunOrder Order { get; init; } = CpuRunOrder.Auto;

    /// <summary>
    /// Tiles a worker runs together in the tile order, sharing each pass over a layer's weights:
    /// 1, 2 or 4; 0 chooses by the network's width (<see cref="RunOrderChoice.TilesPerItem"/>).
    /// For tests and measurements.
    /// </summary>
    internal int TilesPerItem { get; init; }

    /// <summary>
    /// Most inputs per range when the tile order's gather cuts a wide layer's inputs into ranges
    /// (<see cref="ColumnGroups"/>); 0 chooses by the cache (<see cref="RunOrderChoice.MaxBlockInputs"/>).
    /// For tests and measurements.
    /// </summary>
    internal int MaxBlockInputs { get; init; }

    /// <summary>
    /// Work items of the tile order that learn which layer inputs stay zero before layouts without
    /// them are built (<see cref="DeadInputs"/>): 0 chooses by the run's size, a negative number
    /// turns them off. For tests and measurements.
    /// </summary>
    internal int DeadInputLearningItems { get; init; }

    /// <summary>The settings <c>cpu:key=value</c> takes, one row each.</summary>
    internal static EngineSettings<CpuEngineOptions> Settings { get; } = new EngineSettings<CpuEngineOptions>()
        .Choice("simd", o => o.Simd, (o, v) => o with { Simd = v })
        .Choice("order", o => o.Order, (o, v) => o with { Order = v })
        .Switch("dedupe", o => o.MergeDuplicateOutputs, (o, v) => o with { MergeDuplicateOutputs = v });

    /// <summary>What the settings take, for help texts.</summary>
    public static string SettingsHelp => Settings.Help;

    /// <summary>Options from an engine spec such as <c>cpu:simd=vector256</c>; defaults elsewhere.</summary>
    public static CpuEngineOptions FromSpec(EngineSpec spec) => Settings.Read(spec);

    /// <summary>The settings that differ from the defaults, as an engine spec suffix (":key=value..."), for reports.</summary>
    public string SpecSuffix() => Settings.Suffix(this);
}
