using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SpDnn.Cli.Reporting;

/// <summary>Describes the machine and the source commit for benchmark records.</summary>
public static class MachineProbe
{
    public static MachineInfo Current(string? gpu = null)
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        double memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        return new MachineInfo(Environment.MachineName, RuntimeInformation.OSDescription, cpu, Environment.ProcessorCount, Math.Round(memory, 1), gpu);
    }

    /// <summary><c>$SPDNN_COMMIT</c> (set where the tree has no git, e.g. a packed copy), else git's short HEAD, "+dirty" with changes.</summary>
    public static string Commit()
    {
        if (Environment.GetEnvironmentVariable("SPDNN_COMMIT") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        string head = Git("rev-parse --short HEAD");
        if (head == "unknown") return head;
        return Git("status --porcelain --untracked-files=no").Length > 0 ? head + "+dirty" : head;
    }

    private static string Git(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
