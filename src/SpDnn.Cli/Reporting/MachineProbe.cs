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

    /// <summary>
    /// <c>$SPDNN_COMMIT</c> when set; else the commit this tool was built from (recorded by the
    /// SDK in the informational version), with "+dirty" when the current checkout is that commit
    /// with changes; else git's short HEAD of the current folder; else "unknown". The build's own
    /// commit wins over the folder's: a published copy may run inside another checkout.
    /// </summary>
    public static string Commit()
    {
        if (Environment.GetEnvironmentVariable("SPDNN_COMMIT") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        string? built = BuildCommit();
        string head = Git("rev-parse --short HEAD");
        bool headIsBuild = head != "unknown" && (built is null || built.StartsWith(head, StringComparison.OrdinalIgnoreCase));
        if (!headIsBuild) return built is null ? "unknown" : built[..Math.Min(7, built.Length)];
        return Git("status --porcelain --untracked-files=no").Length > 0 ? head + "+dirty" : head;
    }

    /// <summary>The source revision in this assembly's informational version ("1.0.0+sha"), if any.</summary>
    public static string? BuildCommit(string? informationalVersion = null)
    {
        informationalVersion ??= typeof(MachineProbe).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        int plus = informationalVersion?.IndexOf('+') ?? -1;
        if (plus < 0) return null;
        string revision = informationalVersion![(plus + 1)..];
        return revision.Length >= 7 && revision.All(Uri.IsHexDigit) ? revision : null;
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
