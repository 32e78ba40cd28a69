using System.Diagnostics;
using System.Text.Json;
using SpDnn.Data;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

// Generation benchmark: the N=65536 network in memory (all layers), written as TSV and binary (a
// subset), and the official images per size. Usage:
//   dotnet run -c Release --project bench/generation/SpDnn.Bench.Generation.csproj -- [--images 1024,4096] [--layers 1920] [--write-layers 12] [--out bench/results]
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
Directory.CreateDirectory(options.Output);
var json = Path.Combine(options.Output, $"generation-{DateTime.UtcNow:yyyy-MM-dd}.json");
// Written after every stage, so a long run that is stopped still leaves what it measured.
void Save()
{
    report["allChecksPassed"] = ok;
    File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
    File.WriteAllText(Path.ChangeExtension(json, ".md"), Markdown.Render(report));
}

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
        neurons = n,
        layers = options.Layers,
        edges = nnz,
        edgesExpected = expected,
        seconds,
        cpuSeconds = cpu,
        layersPerSecond = options.Layers / seconds,
        edgesPerSecond = nnz / seconds,
        targetSeconds = 60.0,
    };
    Save();
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
        Save();
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
        var (seconds, cpu, images) = Measure(() => OfficialImages.Generate(n));
        long? expected = ChallengeImageGenerator.OfficialNonZeros(n);
        bool match = images.TotalNonZeros == expected;
        ok &= match;
        results.Add(new { neurons = n, seconds, cpuSeconds = cpu, nonZeros = images.TotalNonZeros, nonZerosOfficial = expected, match, maximum = images.Maximum, peakWorkingSetBytes = Process.GetCurrentProcess().PeakWorkingSet64 });
        report["images"] = results;
        Save();
        Console.WriteLine($"images N={n}: {seconds:F1} s (cpu {cpu:F1} s), nnz {images.TotalNonZeros} (official {expected}: {(match ? "equal" : "DIFFERENT")}), MAX {images.Maximum:R}");
    }
    report["images"] = results;
}

Save();
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
