using SpDnn.Engines.Cpu;
using SpDnn.Engines.Gpu;
using SpDnn.Engines.Reference;

namespace SpDnn.Engines;

/// <summary>
/// Creates engines by name. <c>auto</c> picks the available engine of highest rank. Each engine
/// is one line of <see cref="Entries"/>; add yours there.
/// </summary>
public static class EngineFactory
{
    /// <summary>The engine name that picks the best available engine: the GPU when CUDA is present, else the CPU (for a general network, the best that runs it).</summary>
    public const string Auto = "auto";

    /// <param name="Name">What <c>--engine</c> takes.</param>
    /// <param name="Rank">Higher is preferred by <c>auto</c>.</param>
    /// <param name="IsAvailable">Whether the engine can run here (a GPU engine needs a device).</param>
    /// <param name="Configure">Reads the engine's settings (see <see cref="EngineSpec"/>), rejecting unknown ones,
    /// and returns what makes the engine: settings are checked before any work, the engine made when needed.</param>
    internal sealed record Entry(string Name, string Description, int Rank, Func<bool> IsAvailable, Func<EngineSpec, Func<IInferenceEngine>> Configure)
    {
        /// <summary>Whether the engine runs general networks (<see cref="IInferenceEngine.RunsGeneralForm"/>); <c>auto</c> skips the others for them.</summary>
        public bool RunsGeneralForm { get; init; }

        public IInferenceEngine Create(EngineSpec spec) => Configure(spec)();
    }

    private static readonly Entry[] Entries =
    [
        new("reference", "the oracle: simplest correct code, parallel over images", 0, () => true, Plain(() => new ReferenceEngine())) { RunsGeneralForm = true },
        new("cpu", "fast exact CPU engine: SIMD tiles, dead-image pruning, identical rows computed once. Settings: " + CpuEngineOptions.SettingsHelp,
            10, () => true, WithSettings(CpuEngineOptions.FromSpec, options => new CpuEngine(options))) { RunsGeneralForm = true },
        new("gpu", "CUDA engine (ILGPU): persistent fused kernel over chunks of layers, device compaction, identical rows computed once; "
            + "weights streamed from host memory when they do not fit. Settings: " + GpuEngineOptions.SettingsHelp, 20, GpuEngine.IsCudaAvailable,
            WithSettings(GpuEngineOptions.FromSpec, options => new GpuEngine(options))) { RunsGeneralForm = true },
    ];

    private static Func<EngineSpec, Func<IInferenceEngine>> WithSettings<TOptions>(Func<EngineSpec, TOptions> read, Func<TOptions, IInferenceEngine> make) => spec =>
    {
        var options = read(spec);
        return () => make(options);
    };

    private static Func<EngineSpec, Func<IInferenceEngine>> Plain(Func<IInferenceEngine> create) => spec =>
    {
        spec.RejectUnknown("it takes none");
        return create;
    };

    /// <summary>Every engine, best first.</summary>
    internal static IReadOnlyList<Entry> All { get; } = [.. Entries.OrderByDescending(e => e.Rank)];

    /// <summary>Every engine name <see cref="Create(string, bool)"/> accepts, <see cref="Auto"/> first.</summary>
    public static IEnumerable<string> Names => All.Select(e => e.Name).Prepend(Auto);

    /// <summary>What <c>--engine</c> accepts, for help texts.</summary>
    public static string Usage => $"{string.Join(", ", Names)}; cpu and gpu take settings, e.g. cpu:simd=vector256 ({CpuEngineOptions.SettingsHelp}), gpu:weights=streamed:chunk=16 ({GpuEngineOptions.SettingsHelp})";

    /// <summary>
    /// The engine <paramref name="name"/> (<c>name[:key=value]...</c>), or the best available one
    /// for <c>auto</c>.
    /// </summary>
    /// <param name="general">With <c>auto</c>: the network is a general one, so only engines that run those are candidates.</param>
    public static IInferenceEngine Create(string name, bool general = false) => Create(Resolve(name, general));

    /// <summary>The engine a resolved spec names (<see cref="Resolve"/>), made with its settings.</summary>
    public static IInferenceEngine Create(EngineSpec spec)
    {
        var match = Find(spec.Name);
        var make = match.Configure(spec);
        if (!match.IsAvailable()) throw new InvalidOperationException($"The {match.Name} engine is not available on this machine.");
        return make();
    }

    /// <summary>
    /// The one place <c>auto</c> is decided: <paramref name="name"/> parsed, with <c>auto</c> replaced by the
    /// available engine of highest rank (for a general network, the best that runs those).
    /// </summary>
    public static EngineSpec Resolve(string name, bool general = false)
    {
        var spec = EngineSpec.Parse(name);
        if (!spec.Name.Equals(Auto, StringComparison.OrdinalIgnoreCase)) return spec;
        if (spec.HasSettings) throw new SpDnnUsageException("auto takes no settings: name the engine.");
        foreach (var entry in All)
            if (entry.IsAvailable() && (entry.RunsGeneralForm || !general)) return EngineSpec.Parse(entry.Name);
        throw new InvalidOperationException("No inference engine is available.");
    }

    /// <summary>
    /// Checks an engine name and its settings without making the engine, so a usage error is
    /// reported before anything is read or generated; whether the engine can run here is left to
    /// <see cref="Create(string, bool)"/>.
    /// </summary>
    public static void Check(string name)
    {
        var spec = EngineSpec.Parse(name);
        if (spec.Name.Equals(Auto, StringComparison.OrdinalIgnoreCase))
        {
            if (spec.HasSettings) throw new SpDnnUsageException("auto takes no settings: name the engine.");
            return;
        }
        Find(spec.Name).Configure(spec);
    }

    /// <summary>The registered engine called <paramref name="name"/> (without settings).</summary>
    internal static Entry Find(string name) =>
        All.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SpDnnUsageException($"Unknown engine \"{name}\" (one of: {string.Join(", ", Names)}).");
}
