using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SpDnn.Model;

namespace SpDnn.Bench.Formats;

internal sealed record BenchSettings(int Neurons, int Layers, int Repeat, string? Output)
{
    public static BenchSettings Parse(string[] args)
    {
        var s = new BenchSettings(65536, 8, 5, null);
        for (int i = 0; i + 1 < args.Length; i += 2)
            s = args[i] switch
            {
                "--neurons" => s with { Neurons = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--layers" => s with { Layers = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--repeat" => s with { Repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--out" => s with { Output = args[i + 1] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        return s;
    }
}

internal static class RandomLayers
{
    /// <summary>N x N, exactly 32 distinct random columns per row, every weight 1/16.</summary>
    public static CsrMatrix ThirtyTwoPerRow(int n, int seed)
    {
        var rng = new Random(seed);
        var offsets = new int[n + 1];
        var cols = new int[32L * n > int.MaxValue ? throw new ArgumentOutOfRangeException(nameof(n)) : 32 * n];
        var pick = new SortedSet<int>();
        for (int r = 0; r < n; r++)
        {
            pick.Clear();
            while (pick.Count < Math.Min(32, n)) pick.Add(rng.Next(n));
            pick.CopyTo(cols, r * 32);
            offsets[r + 1] = offsets[r] + pick.Count;
        }
        var values = new float[offsets[n]];
        Array.Fill(values, 0.0625f);
        return new CsrMatrix(n, n, offsets, cols[..offsets[n]], values);
    }
}

/// <summary>Wall and process CPU seconds of repeated runs after warm-up (CPU time stays meaningful on a shared machine).</summary>
internal sealed record Timing(double[] Seconds, double[] CpuSeconds)
{
    public double Median => Seconds.Order().ElementAt(Seconds.Length / 2);
    public double Best => Seconds.Min();
    public double CpuMedian => CpuSeconds.Order().ElementAt(CpuSeconds.Length / 2);
    public JsonObject ToJson() => new() { ["median"] = Median, ["best"] = Best, ["cpuMedian"] = CpuMedian, ["runs"] = Seconds.Length };
}

internal static class Measure
{
    public static Timing Time(Action action, int warmup, int repeat)
    {
        for (int i = 0; i < warmup; i++) action();
        var seconds = new double[repeat];
        var cpu = new double[repeat];
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < repeat; i++)
        {
            GC.Collect();
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            action();
            seconds[i] = watch.Elapsed.TotalSeconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        }
        return new Timing(seconds, cpu);
    }
}

internal static class MachineInfo
{
    public static string CpuModel()
    {
        var lscpu = Run("lscpu", "");
        var line = lscpu?.Split('\n').FirstOrDefault(l => l.StartsWith("Model name:", StringComparison.Ordinal));
        return line is null ? "unknown" : line["Model name:".Length..].Trim();
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

    public static string Commit() => Run("git", "rev-parse --short HEAD")?.Trim() is { Length: > 0 } c ? c : "unknown";

    private static string? Run(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

internal static class Report
{
    public static string Markdown(JsonObject r)
    {
        string F(string key, string format = "N0") => double.Parse(r[key]!.ToJsonString(), CultureInfo.InvariantCulture).ToString(format, CultureInfo.InvariantCulture);
        string M(string key) => ((double)r[key]!["median"]!).ToString("F4", CultureInfo.InvariantCulture);
        string C(string key) => ((double)r[key]!["cpuMedian"]!).ToString("F4", CultureInfo.InvariantCulture);
        var b = new StringBuilder();
        b.AppendLine("# Format benchmark (bench/formats)");
        b.AppendLine();
        b.AppendLine($"- date: {r["date"]}");
        b.AppendLine($"- machine: {r["machine"]} ({r["cores"]} cores visible)");
        b.AppendLine($"- commit: {r["commit"]}, .NET {r["runtime"]}");
        b.AppendLine($"- layer: N = {r["neurons"]}, {F("layerLines")} lines (32 per row, official TSV layout, {F("tsvBytes")} bytes; gzip {F("gzipBytes")} bytes)");
        b.AppendLine($"- binary: {r["binaryLayers"]} such layers in one file, {F("binaryBytes")} bytes; medians of {r["repeat"]} runs after one warm-up, files in the page cache");
        b.AppendLine();
        b.AppendLine($"- load average while it ran (/proc/loadavg, before and after): {r["loadBefore"]} / {r["loadAfter"]}");
        b.AppendLine();
        b.AppendLine("| step | median wall s | median CPU s | rate (wall) | rate (per CPU second) |");
        b.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        b.AppendLine($"| read TSV layer | {M("tsvReadSeconds")} | {C("tsvReadSeconds")} | {F("tsvReadLinesPerSecond")} lines/s ({F("tsvReadMegabytesPerSecond", "F0")} MB/s) | {F("tsvReadLinesPerCpuSecond")} lines |");
        b.AppendLine($"| read TSV.gz layer | {M("tsvGzipReadSeconds")} | {C("tsvGzipReadSeconds")} | {F("tsvGzipReadLinesPerSecond")} lines/s | |");
        b.AppendLine($"| write TSV layer | {M("tsvWriteSeconds")} | {C("tsvWriteSeconds")} | {F("tsvWriteLinesPerSecond")} lines/s | |");
        b.AppendLine($"| write binary network | {M("binaryWriteSeconds")} | {C("binaryWriteSeconds")} | | |");
        b.AppendLine($"| load all binary layers | {M("binaryLoadAllLayersSeconds")} | {C("binaryLoadAllLayersSeconds")} | {F("binaryLoadLinesPerSecond")} entries/s ({F("binaryLoadGigabytesPerSecond", "F2")} GB/s) | |");
        b.AppendLine($"| open binary + last layer | {M("binaryOpenAndLastLayerSeconds")} | {C("binaryOpenAndLastLayerSeconds")} | | |");
        b.AppendLine();
        b.AppendLine($"Binary loading is {F("binarySpeedupOverTsv", "F1")}x faster per layer than TSV parsing.");
        return b.ToString();
    }
}
