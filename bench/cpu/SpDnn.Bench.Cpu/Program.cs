using System.Diagnostics;
using System.Globalization;
using System.Text;
using SpDnn.Bench.Cpu;
using SpDnn.Cli.Reporting;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

// The CPU engine against SuiteSparse:GraphBLAS, in the same run, on the same challenge data:
// the CPU engine plans the network as the exact generator makes it, layer by layer (never held
// whole), and reads the images from the user data cache; GraphBLAS (C) reads TSV files
// written from the same generators, and runs only where asked (--graphblas-cases), stopped after
// --graphblas-timeout. Inference time only (reading and planning excluded) for both; peak
// resident memory of the CPU engine's case (planning, warm-up and runs). Medians over --repeat runs.
var options = BenchOptions.Parse(args);
string commit = MachineProbe.Commit(); // before the runs: the code measured
var runs = new List<BenchmarkRun>();
var summary = new List<string>();
int graphBlasThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
string library = "SuiteSparse:GraphBLAS";
bool peakPerCase = PeakMemory.Reset();
using var trace = new MemoryTrace(options.TraceMemorySeconds);

foreach (var group in options.Cases.Where(options.RunsGraphBlas).GroupBy(c => c.Neurons))
    BenchData.EnsureLayers(options.Data, group.Key, group.Max(c => c.Layers));

foreach (var c in options.Cases)
{
    var (neurons, layers, imageLimit) = c;
    string loadBefore = LoadAverage();
    trace.Phase($"load {neurons}x{layers}");
    var load = Stopwatch.StartNew();
    var images = options.Images is { } file ? ImageLoader.Load(file, neurons) : ChallengeDataCache.Default.Images(neurons);
    if (imageLimit > 0 && imageLimit < images.Count) images = images.Slice(0, imageLimit);
    // Generated while the engine plans, never held whole: the engine plans each layer once either
    // way, and a held network (65536 x 480: 8 GB) would only add to the case's peak memory.
    ILayerSource network = new ChallengeNetworkGenerator(neurons, layers);
    double loadSeconds = load.Elapsed.TotalSeconds;
    int[]? truth = options.Images is null && imageLimit == 0 ? BenchData.Truth(options.Data, neurons, layers) : null;

    // CPU engine: its own peak from planning on.
    GC.Collect();
    PeakMemory.Reset();
    using var engine = new CpuEngine();
    var inference = new InferenceOptions { Threads = options.Threads, Progress = options.TraceMemorySeconds > 0 ? trace.Layers : null };
    trace.Phase("plan");
    using var plan = engine.Plan(network, inference);
    trace.Phase("warm-up");
    if (options.Warmup != "none") engine.Execute(plan, options.Warmup == "small" ? images.Slice(0, Math.Min(1000, images.Count)) : images, inference);
    var results = new List<InferenceResult>();
    for (int r = 0; r < options.Repeat; r++)
    {
        trace.Phase($"run {r + 1}");
        results.Add(engine.Execute(plan, images, inference));
    }
    trace.Phase("done");
    var median = results.OrderBy(x => x.InferenceSeconds).ElementAt(results.Count / 2);
    var cpu = median with { PlanningSeconds = plan.PlanningSeconds };
    long peak = PeakMemory.Bytes();
    string loadAfter = LoadAverage();
    bool? cpuPassed = truth is null ? null : CategoryCheck.Compare(truth, cpu.Categories).Passed;
    var details = new Dictionary<string, string>(cpu.Details)
    {
        ["network"] = "generated while planning",
        ["peak memory"] = peakPerCase ? "this case's (VmHWM reset before planning)" : "the process's so far",
        ["warm-up"] = options.Warmup,
        ["load average before"] = loadBefore,
        ["load average after"] = loadAfter,
    };
    runs.Add(new BenchmarkRun
    {
        Engine = "cpu",
        Neurons = neurons,
        Layers = layers,
        Images = images.Count,
        Edges = cpu.Edges,
        LoadSeconds = loadSeconds,
        PlanningSeconds = cpu.PlanningSeconds,
        InferenceSeconds = cpu.InferenceSeconds,
        UploadSeconds = cpu.UploadSeconds,
        InferenceSamples = [.. results.Select(x => x.InferenceSeconds)],
        Categories = cpu.Categories.Length,
        Passed = cpuPassed,
        PeakHostBytes = peak,
        LayerPoints = [.. cpu.LayerStatistics.Select(s => new LayerPoint(s.Layer, s.LiveImages, s.DistinctRows, s.Seconds))],
        Details = details,
    });
    double cpuTeps = cpu.Edges / cpu.InferenceSeconds / 1e12;
    string cpuPart = string.Create(CultureInfo.InvariantCulture,
        $"| {neurons} | {layers} | {images.Count} | {cpu.InferenceSeconds:F2} | {cpuTeps:F3} | {loadSeconds:F0} + {cpu.PlanningSeconds:F0} | {peak / 1e9:F1} | {(cpuPassed is null ? "no truth file" : cpuPassed.Value ? "PASSED" : "FAILED")} | {loadBefore.Split(' ')[0]} / {loadAfter.Split(' ')[0]} |");

    // GraphBLAS on TSV files of the same data, where asked.
    string gbPart = " not run | - | - | - |";
    if (options.RunsGraphBlas(c))
    {
        float bias = ChallengeSpec.Bias(neurons);
        string imagePath = BenchData.WriteTsv(options.Data, images, imageLimit > 0 ? $"first{imageLimit}" : "all");
        var gb = GraphBlasRunner.Run(options.GraphBlas, BenchData.LayerFolder(options.Data, neurons), neurons, layers, imagePath,
            images.Count, bias, graphBlasThreads, options.GraphBlasRepeat, options.GraphBlasTimeoutSeconds);
        if (gb.StoppedAfterSeconds is { } stopped)
        {
            gbPart = string.Create(CultureInfo.InvariantCulture, $" stopped after {stopped:F0} s | - | > {stopped / cpu.InferenceSeconds:F0}x | - |");
            runs.Add(new BenchmarkRun
            {
                Engine = "graphblas",
                Neurons = neurons,
                Layers = layers,
                Images = images.Count,
                Edges = cpu.Edges,
                InferenceSeconds = stopped,
                Categories = 0,
                Details = new Dictionary<string, string> { ["stopped"] = $"after {stopped:F0} s without an answer (--graphblas-timeout)" },
            });
        }
        else
        {
            library = gb.Library;
            if (gb.Weights != cpu.Weights || gb.Images != images.Count)
                throw new InvalidOperationException($"GraphBLAS read {gb.Weights} weights and {gb.Images} images, the CPU engine {cpu.Weights} and {images.Count}.");
            bool same = gb.Categories.AsSpan().SequenceEqual(cpu.Categories);
            if (!same) Console.Error.WriteLine($"categories differ for {neurons}x{layers}: cpu {cpu.Categories.Length}, GraphBLAS {gb.Categories.Length}");
            runs.Add(new BenchmarkRun
            {
                Engine = "graphblas",
                Neurons = neurons,
                Layers = layers,
                Images = gb.Images,
                Edges = (double)gb.Images * gb.Weights,
                LoadSeconds = gb.LoadSeconds,
                InferenceSeconds = gb.InferenceSeconds,
                Categories = gb.Categories.Length,
                Passed = truth is null ? null : CategoryCheck.Compare(truth, gb.Categories).Passed,
                Details = new Dictionary<string, string> { ["library"] = gb.Library, ["threads"] = gb.Threads.ToString(CultureInfo.InvariantCulture) },
            });
            gbPart = string.Create(CultureInfo.InvariantCulture,
                $" {gb.InferenceSeconds:F1} | {cpu.Edges / gb.InferenceSeconds / 1e12:F4} | {gb.InferenceSeconds / cpu.InferenceSeconds:F1}x | {(same ? "yes" : "NO")} |");
        }
    }
    string line = cpuPart + gbPart;
    summary.Add(line);
    Console.WriteLine(line);
    WriteRecord();
}

// Written after every network, so a long session leaves its finished part behind.
void WriteRecord()
{
    var record = new BenchmarkRecord
    {
        Date = DateTimeOffset.UtcNow,
        Commit = commit,
        Machine = MachineProbe.Current(),
        Runs = runs,
    };
    Directory.CreateDirectory(options.Output);
    string stem = Path.Combine(options.Output, options.Name);
    ReportWriter.WriteText(stem + ".json", record.ToJson());
    var md = new StringBuilder();
    md.AppendLine("# CPU engine vs SuiteSparse:GraphBLAS").AppendLine();
    md.AppendLine(CultureInfo.InvariantCulture, $"Date {record.Date:yyyy-MM-dd HH:mm} UTC, commit {record.Commit}, {record.Machine.Cpu}, {record.Machine.Cores} cores, {record.Machine.MemoryGiB} GiB, {record.Machine.OperatingSystem}; {library}, {graphBlasThreads} threads for both.");
    md.AppendLine(CultureInfo.InvariantCulture, $"Inference time only (reading and planning excluded); medians of {options.Repeat} CPU-engine runs (after a warm-up: {options.Warmup}) and {options.GraphBlasRepeat} GraphBLAS runs, GraphBLAS stopped after {options.GraphBlasTimeoutSeconds:F0} s; TE/s = images x weights / seconds. Peak: the CPU engine case's peak resident memory (planning, warm-up and runs; {(peakPerCase ? "reset before each case" : "the process's, not reset")}). The CPU engine reads the generated network and the cached images, GraphBLAS TSV files of the same data; \"images\" below 60000 means the first images of the set.").AppendLine();
    md.AppendLine("\"cpu read + plan s\": reading the images and planning the network as the generator makes it, before the first run (an answer takes these plus one run). \"load avg\": the machine's 1-minute load average (/proc/loadavg) before reading and after the CPU engine's runs; above 2 the two cores were shared and the times are inflated.").AppendLine();
    md.AppendLine("| N | L | images | cpu s | cpu TE/s | cpu read + plan s | cpu peak GB | truth | load avg before / after | GraphBLAS s | GraphBLAS TE/s | cpu speed-up | same categories |");
    md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var l in summary) md.AppendLine(l);
    ReportWriter.WriteText(stem + ".md", md.ToString());
    Console.Error.WriteLine($"wrote {stem}.json and {stem}.md");
}

// The machine's load average (/proc/loadavg: 1, 5 and 15 minutes, runnable/all threads); empty where there is none.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(4)) : "";
