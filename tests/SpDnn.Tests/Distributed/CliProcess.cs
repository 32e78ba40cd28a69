using System.Diagnostics;
using System.Text;

namespace SpDnn.Tests.Distributed;

/// <summary>The MPI implementations the process tests run under.</summary>
public enum MpiFlavour
{
    Mpich,
    OpenMpi,
}

/// <summary>Runs the built spdnn CLI (SpDnn.Cli.dll beside the tests) as a child process, optionally under mpiexec, with a timeout.</summary>
public static class CliProcess
{
    public sealed record Outcome(int ExitCode, string Output, string Error, bool TimedOut)
    {
        public override string ToString() => $"exit {ExitCode}{(TimedOut ? " (timed out)" : "")}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>Variables of MPI launchers, removed from the child's environment so only what a test sets is seen.</summary>
    private static readonly string[] LauncherVariables =
        ["PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_PORT", "PMI_ID", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "PMIX_RANK",
         "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "SPDNN_MPI_LIBRARY"];

    /// <summary>MPICH's mpiexec (Debian names it mpiexec.mpich when Open MPI is installed too), or null.</summary>
    public static string? Mpiexec { get; } = FindOnPath("mpiexec.mpich") ?? FindOnPath("mpiexec.hydra") ?? FindOnPath("mpiexec");

    /// <summary>Open MPI's mpiexec (Debian: mpiexec.openmpi), or null.</summary>
    public static string? OpenMpiexec { get; } = FindOnPath("mpiexec.openmpi") ?? FindOnPath("mpirun.openmpi");

    /// <summary>The launcher of <paramref name="flavour"/>, or null when it is not installed.</summary>
    public static string? Launcher(MpiFlavour flavour) => flavour == MpiFlavour.OpenMpi ? OpenMpiexec : Mpiexec;

    public static string SkipReasonWithoutMpiexec =>
        "mpiexec not found on PATH: install MPICH (Debian: apt-get install mpich; CI does so in .ci/install-deps)";

    public static string SkipReason(MpiFlavour flavour) => flavour == MpiFlavour.OpenMpi
        ? "mpiexec.openmpi not found on PATH: install Open MPI (Debian: apt-get install openmpi-bin; CI does so in .ci/install-deps)"
        : SkipReasonWithoutMpiexec;

    /// <summary>
    /// What Open MPI needs to start ranks in a test: permission to run as root (CI runs as root), more ranks
    /// than cores (a 2-core machine runs 3), and no cross-memory-attach copies (refused in containers).
    /// </summary>
    private static readonly Dictionary<string, string> OpenMpiEnvironment = new()
    {
        ["OMPI_ALLOW_RUN_AS_ROOT"] = "1",
        ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
        ["OMPI_MCA_rmaps_base_oversubscribe"] = "1",
        ["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none",
    };

    /// <param name="whileRunning">Called once the process has started (to signal it, say), before waiting for it.</param>
    /// <param name="flavour">Whose mpiexec starts the ranks when <paramref name="mpiRanks"/> is positive.</param>
    public static Outcome Run(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        int mpiRanks = 0, TimeSpan? timeout = null, Action<Process>? whileRunning = null, MpiFlavour flavour = MpiFlavour.Mpich)
    {
        var start = NewStart();
        if (mpiRanks > 0)
        {
            start.FileName = Launcher(flavour) ?? throw new InvalidOperationException(SkipReason(flavour));
            if (flavour == MpiFlavour.OpenMpi) environment = WithOpenMpi(environment);
            foreach (var a in new[] { "-n", mpiRanks.ToString(), Dotnet }) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = Dotnet;
        }
        start.ArgumentList.Add(Cli);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Execute(start, environment, timeout, whileRunning);
    }

    /// <summary>One rank per argument list, each with its own arguments (mpiexec's <c>-n 1 cmd : -n 1 cmd</c> form).</summary>
    public static Outcome RunRanks(IReadOnlyList<IReadOnlyList<string>> argumentsPerRank, TimeSpan? timeout = null, MpiFlavour flavour = MpiFlavour.Mpich)
    {
        var start = NewStart();
        start.FileName = Launcher(flavour) ?? throw new InvalidOperationException(SkipReason(flavour));
        for (int r = 0; r < argumentsPerRank.Count; r++)
        {
            if (r > 0) start.ArgumentList.Add(":");
            foreach (var a in new[] { "-n", "1", Dotnet, Cli }.Concat(argumentsPerRank[r])) start.ArgumentList.Add(a);
        }
        return Execute(start, flavour == MpiFlavour.OpenMpi ? WithOpenMpi(null) : null, timeout);
    }

    private static Dictionary<string, string> WithOpenMpi(IReadOnlyDictionary<string, string>? environment)
    {
        var all = new Dictionary<string, string>(OpenMpiEnvironment);
        if (environment is not null)
            foreach (var (k, v) in environment) all[k] = v;
        return all;
    }

    private static string Cli
    {
        get
        {
            string cli = Path.Combine(AppContext.BaseDirectory, "SpDnn.Cli.dll");
            Assert.True(File.Exists(cli), $"{cli} is missing: the test project must reference SpDnn.Cli");
            return cli;
        }
    }

    private static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static ProcessStartInfo NewStart() => new()
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };

    private static Outcome Execute(ProcessStartInfo start, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout,
        Action<Process>? whileRunning = null)
    {
        foreach (var v in LauncherVariables) start.Environment.Remove(v);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment) start.Environment[k] = v;

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        whileRunning?.Invoke(process);
        bool finished = process.WaitForExit(timeout ?? TimeSpan.FromSeconds(90));
        if (!finished) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return new Outcome(finished ? process.ExitCode : -1, output.ToString(), error.ToString(), !finished);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
