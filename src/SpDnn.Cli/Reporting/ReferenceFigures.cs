namespace SpDnn.Cli.Reporting;

/// <summary>
/// Published single-GPU figures to set results against: the seed paper's own code and a
/// CuPy + cuSPARSE pipeline, both measured on the benchmark H200 with the exact official data
/// (docs/baselines.md, which says where they come from), inference seconds per network.
/// </summary>
public static class ReferenceFigures
{
    public const string SeedCodeName = "seed code (H200)";

    private static readonly Dictionary<(int Neurons, int Layers), double> SeedSeconds = new()
    {
        [(1024, 120)] = 0.0106,
        [(1024, 480)] = 0.0338,
        [(1024, 1920)] = 0.129,
        [(4096, 120)] = 0.0447,
        [(4096, 480)] = 0.137,
        [(4096, 1920)] = 0.510,
        [(16384, 120)] = 0.208,
        [(16384, 480)] = 0.686,
        [(16384, 1920)] = 2.54,
        [(65536, 120)] = 1.27,
        [(65536, 480)] = 4.64,
        [(65536, 1920)] = 18.1,
    };

    private static readonly Dictionary<(int Neurons, int Layers), double> CuPySeconds = new()
    {
        [(1024, 120)] = 0.0668,
        [(1024, 480)] = 0.178,
        [(1024, 1920)] = 0.635,
        [(4096, 120)] = 0.281,
        [(4096, 480)] = 0.723,
        [(4096, 1920)] = 2.58,
        [(16384, 120)] = 1.35,
        [(16384, 480)] = 3.82,
        [(16384, 1920)] = 13.8,
        [(65536, 120)] = 5.61,
        [(65536, 480)] = 16.7,
        [(65536, 1920)] = 61.1,
    };

    /// <summary>The challenge's edge count for the official data: 60000 · 32 · N · L.</summary>
    public static double ChallengeEdges(int neurons, int layers) => 60000.0 * 32 * neurons * layers;

    /// <summary>The seed code's TE/s on the run's network, of its family (the general family's from <see cref="GeneralFamilyBaseline"/>), when measured.</summary>
    public static double? SeedCodeTeraEdges(BenchmarkRun run) => run.Family switch
    {
        null => SeedCodeTeraEdges(run.Neurons, run.Layers),
        BenchmarkRun.GeneralFamily => GeneralFamilyBaseline.SeedCodeSeconds(run.Neurons, run.Layers) is { } s ? ChallengeEdges(run.Neurons, run.Layers) / s / 1e12 : null,
        _ => null,
    };

    public static double? SeedCodeTeraEdges(int neurons, int layers) =>
        SeedSeconds.TryGetValue((neurons, layers), out var s) ? ChallengeEdges(neurons, layers) / s / 1e12 : null;

    public static double? CuPyTeraEdges(int neurons, int layers) =>
        CuPySeconds.TryGetValue((neurons, layers), out var s) ? ChallengeEdges(neurons, layers) / s / 1e12 : null;
}
