using System.Globalization;

namespace SpDnn.Bench.Cpu;

/// <summary>
/// The process's peak resident set (Linux: VmHWM of /proc/self/status), which can be reset
/// between cases (writing 5 to /proc/self/clear_refs), so each case reports its own peak.
/// Elsewhere: the runtime's peak working set, never reset.
/// </summary>
internal static class PeakMemory
{
    /// <summary>Starts a new peak from the current resident set; false where the system does not allow it.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Bytes of the peak resident set since the last <see cref="Reset"/>.</summary>
    public static long Bytes() => Status("VmHWM:") ?? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>Bytes resident now.</summary>
    public static long ResidentBytes() => Status("VmRSS:") ?? System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;

    /// <summary>Bytes resident now of anonymous memory (the heaps) and of mapped files.</summary>
    public static (long Anonymous, long Files) ResidentParts() => (Status("RssAnon:") ?? 0, Status("RssFile:") ?? 0);

    /// <summary>A size field of /proc/self/status in bytes; null where there is none.</summary>
    internal static long? Status(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                var kb = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
