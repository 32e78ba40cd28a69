using System.Collections;

namespace SpDnn.Distributed.Mpi;

/// <summary>Which launcher, if any, started this process.</summary>
internal enum MpiLauncher
{
    /// <summary>No MPI launcher: the process is the only rank.</summary>
    None,

    /// <summary>A PMI launcher of the MPICH family (Hydra's mpiexec, Intel MPI, srun with PMI/PMIx).</summary>
    Pmi,

    /// <summary>Open MPI's mpirun/mpiexec/prterun (its own ABI, bound as such).</summary>
    OpenMpi,
}

/// <summary>
/// What the environment says about how the process was started, read before touching any MPI
/// library: a process started without mpiexec must run as one rank without loading MPI at all.
/// </summary>
/// <param name="Launcher">The launcher family.</param>
/// <param name="Rank">The rank the launcher announced, or 0.</param>
/// <param name="Size">The number of ranks the launcher announced, or 1.</param>
internal sealed record MpiLaunch(MpiLauncher Launcher, int Rank, int Size)
{
    /// <summary>Environment variables that only Open MPI's launchers set.</summary>
    public static IReadOnlyList<string> OpenMpiVariables { get; } = ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"];

    /// <summary>Environment variables set by PMI/PMIx launchers of the MPICH family.</summary>
    public static IReadOnlyList<string> PmiVariables { get; } = ["PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "PMIX_RANK", "PMI_FD"];

    public bool IsMultiProcess => Launcher != MpiLauncher.None;

    public static MpiLaunch FromEnvironment() => FromVariables(ReadEnvironment());

    /// <summary>Classifies a set of environment variables (testable without a launcher).</summary>
    public static MpiLaunch FromVariables(IReadOnlyDictionary<string, string> variables)
    {
        // Open MPI first: PMIx-based Open MPI also sets PMIX_RANK.
        if (OpenMpiVariables.Any(variables.ContainsKey))
            return new MpiLaunch(MpiLauncher.OpenMpi, Parse(variables, "OMPI_COMM_WORLD_RANK", 0), Parse(variables, "OMPI_COMM_WORLD_SIZE", 1));
        if (PmiVariables.Any(variables.ContainsKey))
            return new MpiLaunch(MpiLauncher.Pmi, Parse(variables, "PMI_RANK", Parse(variables, "PMIX_RANK", 0)), Parse(variables, "PMI_SIZE", 1));
        return new MpiLaunch(MpiLauncher.None, 0, 1);
    }

    private static int Parse(IReadOnlyDictionary<string, string> variables, string name, int fallback) =>
        variables.TryGetValue(name, out var text) && int.TryParse(text, out int value) ? value : fallback;

    private static Dictionary<string, string> ReadEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string key && entry.Value is string value) result[key] = value;
        return result;
    }
}
