using System.Diagnostics;
using System.Runtime.InteropServices;
using SpDnn.Cli.Reporting;

namespace SpDnn.Bench.Cpu;

/// <summary>Where and from which commit a benchmark ran.</summary>
internal static class MachineDescription
{
    public static MachineInfo Current()
    {
        string cpu = "unknown";
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        double memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        return new MachineInfo(Environment.MachineName, RuntimeInformation.OSDescription, cpu, Environment.ProcessorCount, Math.Round(memory, 1), null);
    }

    /// <summary>The checked-out commit, marked "+dirty" when the tree has changes.</summary>
    public static string Commit()
    {
        string head = Git("rev-parse --short HEAD");
        return Git("status --porcelain --untracked-files=no").Length > 0 ? head + "+dirty" : head;
    }

    private static string Git(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
