using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Bench;

/// <summary>Which networks <c>spdnn bench</c> runs.</summary>
public enum NetworkFamily
{
    /// <summary>The official challenge networks (<see cref="ChallengeNetworkGenerator"/>).</summary>
    Challenge,

    /// <summary>Random connectivity and weights, no structure to exploit (<see cref="GeneralNetworkGenerator"/>, issue 14).</summary>
    General,
}

/// <summary>What differs between the families: the generator, the default sizes, the name in records.</summary>
public static class NetworkFamilies
{
    public static ILayerSource Generator(this NetworkFamily family, int neurons, int layers) => family switch
    {
        NetworkFamily.General => new GeneralNetworkGenerator(neurons, layers),
        _ => new ChallengeNetworkGenerator(neurons, layers),
    };

    /// <summary>N values run when <c>--neurons</c> is not given (the general family's sizes are issue 14's table).</summary>
    public static IReadOnlyList<int> DefaultNeurons(this NetworkFamily family) => family switch
    {
        NetworkFamily.General => [1024, 4096, 16384],
        _ => [1024],
    };

    /// <summary>The family as recorded in <see cref="Reporting.BenchmarkRun.Family"/>: null for the challenge (records before families existed).</summary>
    public static string? RecordName(this NetworkFamily family) => family switch
    {
        NetworkFamily.General => Reporting.BenchmarkRun.GeneralFamily,
        _ => null,
    };
}
