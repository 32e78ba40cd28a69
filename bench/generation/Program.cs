using System.Diagnostics;
using System.Text.Json;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

// Generation benchmark: the N=65536 network in memory (all layers), written as TSV and binary (a
// subset), and the official images per size. Usage:
//   dotnet run -c Release --project bench/generation -- [--images 1024,4096] [--layers 1920] [--write-layers 12] [--out bench/results]
// Every figure is checked against the official counts; a wrong count fails the run (exit 1).
var options = BenchOptions.Parse(args);
var report = new Dictionary<string, object?>
{
    ["benchmark"] = "generation",
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
    ["machine"] = Machine.Describe(),
    ["commit"] = Machine.Commit(),
    ["loadAverageAtStart"] = Machine.LoadAverage(),
};
bool ok = true;

// 1. Network in memory: every layer built as CSR, as an engine would receive it.
{
    int n = 65536;
    var network = new ChallengeNetworkGenerator(n, options.Layers);
    var (seconds, cpu, nnz) = Measure(() =>
    {
        long total = 0;
        Parallel.For(0, network.LayerCount, k => Interlocked.Add(ref total, network.GetLayer(k).Weights.NonZeros));
        return total;
    });
    long expected = (long)n * ChallengeSpec.ConnectionsPerNeuron * options.Layers;
    ok &= nnz == expected;
    report["networkInMemory"] = new
    {
        neurons = n, layers = options.Layers, edges = nnz, edgesExpected = expected, seconds, cpuSeconds = cpu,
        layersPerSecond = options.Layers / seconds, edgesPerSecond = nnz / seconds, targetSeconds = 60.0,
    };
    Console.WriteLine($"network N={n} L={options.Layers} in memory: {seconds:F1} s ({options.Layers / seconds:F1} layers/s, cpu {cpu:F1} s), {nnz} edges");
}

// 2. Network written: a subset of the layers, official TSV layout and the binary format.
{
    int n = 65536, count = options.WriteLayers;
    var network = new ChallengeNetworkGenerator(n, count);
    var folder = Path.Combine(Path.GetTempPath(), $"spdnn-bench-{Guid.NewGuid():N}");
    try
    {
        var results = new List<object>();
        foreach (var format in new[] { StorageFormat.Tsv, StorageFormat.Binary })
        {
            var (seconds, cpu, path) = Measure(() => GeneratedNetworkWriter.Write(network, folder, format, count));
            long bytes = Directory.Exists(path) ? Directory.GetFiles(path).Sum(f => new FileInfo(f).Length) : new FileInfo(path).Length;
            results.Add(new { format = StorageFormats.Name(format), neurons = n, layers = count, bytes, seconds, cpuSeconds = cpu, layersPerSecond = count / seconds, megabytesPerSecond = bytes / 1e6 / seconds });
            Console.WriteLine($"network N={n}, {count} layers written as {StorageFormats.Name(format)}: {seconds:F1} s ({count / seconds:F2} layers/s, {bytes / 1e6 / seconds:F0} MB/s, cpu {cpu:F1} s)");
        }
        report["networkWritten"] = results;
    }
    finally
    {
        Directory.Delete(folder, recursive: true);
    }
}

// 3. Images: all 60000 for each size asked, nnz checked against the official totals.
{
    var results = new List<object>();
    foreach (int n in options.ImageSizes)
    {
        var (seconds, cpu, images) = Measure(() => ChallengeImageGenerator.Generate(n));
        long? expected = ChallengeImageGenerator.OfficialNonZeros(n);
        bool match = images.TotalNonZeros == expected;
        ok &= match;
        results.Add(new { neurons = n, seconds, cpuSeconds = cpu, nonZeros = images.TotalNonZeros, nonZerosOfficial = expected, match, maximum = images.Maximum, peakWorkingSetBytes = Process.GetCurrentProcess().PeakWorkingSet64 });
        Console.WriteLine($"images N={n}: {seconds:F1} s (cpu {cpu:F1} s), nnz {images.TotalNonZeros} (official {expected}: {(match ? "equal" : "DIFFERENT")}), MAX {images.Maximum:R}");
    }
    report["images"] = results;
}

report["allChecksPassed"] = ok;
Directory.CreateDirectory(options.Output);
var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd");
var json = Path.Combine(options.Output, $"generation-{stamp}.json");
File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
File.WriteAllText(Path.ChangeExtension(json, ".md"), Markdown.Render(report));
Console.WriteLine($"wrote {json} and its .md");
return ok ? 0 : 1;

static (double Seconds, double CpuSeconds, T Result) Measure<T>(Func<T> work)
{
    GC.Collect();
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    var result = work();
    watch.Stop();
    process.Refresh();
    return (watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds, result);
}

internal sealed record BenchOptions(int Layers, int WriteLayers, int[] ImageSizes, string Output)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(1920, 12, [1024, 4096], Path.Combine("bench", "results"));
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--layers" => o with { Layers = int.Parse(args[i + 1]) },
                "--write-layers" => o with { WriteLayers = int.Parse(args[i + 1]) },
                "--images" => o with { ImageSizes = args[i + 1].Length == 0 ? [] : [.. args[i + 1].Split(',').Select(int.Parse)] },
                "--out" => o with { Output = args[i + 1] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}

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

internal static class Markdown
{
    public static string Render(Dictionary<string, object?> record)
    {
        var json = JsonSerializer.SerializeToElement(record);
        var md = new System.Text.StringBuilder();
        md.AppendLine("# Generation benchmark").AppendLine();
        md.AppendLine($"- date: {json.GetProperty("date")}, commit {json.GetProperty("commit")}");
        var machine = json.GetProperty("machine");
        md.AppendLine($"- machine: {machine.GetProperty("cpu")}, {machine.GetProperty("logicalCores")} logical cores, {machine.GetProperty("os")}, .NET {machine.GetProperty("runtime")}");
        md.AppendLine($"- load average at start (the machine is shared): {json.GetProperty("loadAverageAtStart")}");
        md.AppendLine($"- all checks passed: {json.GetProperty("allChecksPassed")}").AppendLine();
        var net = json.GetProperty("networkInMemory");
        md.AppendLine("## Network in memory (CSR per layer, all layers)").AppendLine();
        md.AppendLine("| N | layers | edges | seconds | cpu seconds | layers/s | target |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        md.AppendLine($"| {net.GetProperty("neurons")} | {net.GetProperty("layers")} | {net.GetProperty("edges").GetInt64():N0} | {net.GetProperty("seconds").GetDouble():F1} | {net.GetProperty("cpuSeconds").GetDouble():F1} | {net.GetProperty("layersPerSecond").GetDouble():F1} | < 60 s |");
        md.AppendLine().AppendLine("## Network written (subset of layers)").AppendLine();
        md.AppendLine("| format | N | layers | bytes | seconds | cpu seconds | layers/s | MB/s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var w in json.GetProperty("networkWritten").EnumerateArray())
            md.AppendLine($"| {w.GetProperty("format")} | {w.GetProperty("neurons")} | {w.GetProperty("layers")} | {w.GetProperty("bytes").GetInt64():N0} | {w.GetProperty("seconds").GetDouble():F1} | {w.GetProperty("cpuSeconds").GetDouble():F1} | {w.GetProperty("layersPerSecond").GetDouble():F2} | {w.GetProperty("megabytesPerSecond").GetDouble():F0} |");
        md.AppendLine().AppendLine("## Images (all 60000, whole-set Fourier resize)").AppendLine();
        md.AppendLine("| N | seconds | cpu seconds | nnz | official nnz | equal | MAX | peak working set |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var i in json.GetProperty("images").EnumerateArray())
            md.AppendLine($"| {i.GetProperty("neurons")} | {i.GetProperty("seconds").GetDouble():F1} | {i.GetProperty("cpuSeconds").GetDouble():F1} | {i.GetProperty("nonZeros").GetInt64():N0} | {i.GetProperty("nonZerosOfficial")} | {i.GetProperty("match")} | {i.GetProperty("maximum").GetDouble():F9} | {i.GetProperty("peakWorkingSetBytes").GetInt64() / 1e9:F2} GB |");
        return md.ToString();
    }
}
