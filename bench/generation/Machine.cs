using System.Diagnostics;

/// <summary>What the results were measured on: CPU model, commit, load.</summary>
internal static class Machine
{
    public static object Describe()
    {
        string model = "unknown";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) model = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return new { cpu = model, logicalCores = Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, runtime = Environment.Version.ToString() };
    }

    public static string Commit()
    {
        try
        {
            var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true })!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            var dirty = Process.Start(new ProcessStartInfo("git", "status --porcelain --untracked-files=no") { RedirectStandardOutput = true })!;
            bool modified = dirty.StandardOutput.ReadToEnd().Trim().Length > 0;
            dirty.WaitForExit();
            return modified ? text + "+modified" : text;
        }
        catch (System.ComponentModel.Win32Exception) { return "unknown"; }
    }

    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Trim(); } catch (IOException) { return "unknown"; }
    }
}
