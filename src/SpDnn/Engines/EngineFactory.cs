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
    public const string Auto = "auto";

    /// <param name="Name">What <c>--engine</c> takes.</param>
    /// <param name="Rank">Higher is preferred by <c>auto</c>.</param>
    /// <param name="IsAvailable">Whether the engine can run here (a GPU engine needs a device).</param>
    public sealed record Entry(string Name, string Description, int Rank, Func<bool> IsAvailable, Func<IInferenceEngine> Create);

    private static readonly Entry[] Entries =
    [
        new("reference", "the oracle: simplest correct code, parallel over images", 0, () => true, () => new ReferenceEngine()),
        new("cpu", "fast exact CPU engine: SIMD tiles, dead-image pruning, identical rows computed once", 10, () => true, () => new CpuEngine()),
        new("gpu", "CUDA engine (ILGPU): persistent fused kernel over chunks of layers, device compaction, identical rows computed once; weights streamed from host memory when they do not fit", 20, GpuEngine.IsCudaAvailable, () => new GpuEngine()),
        new("gpu-streamed", "the CUDA engine with every layer streamed from page-locked host memory (its out-of-core path, forced)", 5, GpuEngine.IsCudaAvailable,
            () => new GpuEngine(new GpuEngineOptions { Weights = WeightResidency.Streamed })),
    ];

    /// <summary>Every engine, best first.</summary>
    public static IReadOnlyList<Entry> All { get; } = [.. Entries.OrderByDescending(e => e.Rank)];

    public static IEnumerable<string> Names => All.Select(e => e.Name).Prepend(Auto);

    /// <summary>The engine called <paramref name="name"/>, or the best available one for <c>auto</c>.</summary>
    public static IInferenceEngine Create(string name)
    {
        if (name.Equals(Auto, StringComparison.OrdinalIgnoreCase))
        {
            foreach (var entry in All)
                if (entry.IsAvailable()) return entry.Create();
            throw new InvalidOperationException("No inference engine is available.");
        }
        var match = All.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown engine \"{name}\" (one of: {string.Join(", ", Names)}).");
        if (!match.IsAvailable()) throw new InvalidOperationException($"The {match.Name} engine is not available on this machine.");
        return match.Create();
    }
}
