namespace SpDnn.Cli.Reporting;

/// <summary>
/// Figures to set results against: the seed paper's own code measured on the benchmark H200 with the
/// exact official data, read from committed records (<see cref="SeedCodeBaseline"/> for the challenge
/// networks, <see cref="GeneralFamilyBaseline"/> for the general family), which say where they come from.
/// </summary>
public static class ReferenceFigures
{
    public const string SeedCodeName = "seed code (H200)";

    /// <summary>The challenge's edge count for the official data: 60000 · 32 · N · L.</summary>
    public static double ChallengeEdges(int neurons, int layers) => 60000.0 * 32 * neurons * layers;

    /// <summary>The seed code's TE/s on the run's network, of its family (the general family's from <see cref="GeneralFamilyBaseline"/>), when measured.</summary>
    public static double? SeedCodeTeraEdges(BenchmarkRun run) => run.Family switch
    {
        null => SeedCodeTeraEdges(run.Neurons, run.Layers),
        BenchmarkRun.GeneralFamily => GeneralFamilyBaseline.SeedCodeSeconds(run.Neurons, run.Layers) is { } s ? ChallengeEdges(run.Neurons, run.Layers) / s / 1e12 : null,
        _ => null,
    };

    /// <summary>The seed code's TE/s on the challenge network N x L (<see cref="SeedCodeBaseline"/>), when measured.</summary>
    public static double? SeedCodeTeraEdges(int neurons, int layers) =>
        SeedCodeBaseline.InferenceSeconds(neurons, layers) is { } s ? ChallengeEdges(neurons, layers) / s / 1e12 : null;
}
