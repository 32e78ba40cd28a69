using System.Diagnostics;
using System.Globalization;
using System.Text;
using SpDnn.Bench.Cpu;
using SpDnn.Cli.Reporting;
using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Formats;
using SpDnn.Model;

// The CPU engine against SuiteSparse:GraphBLAS, in the same run, on the same TSV files.
// Inference time only (reading and planning excluded) for both; the CPU engine gets one
// untimed warm-up run (JIT), GraphBLAS (C) none. Medians over --repeat runs.
var options = BenchOptions.Parse(args);
var runs = new List<BenchmarkRun>();
var summary = new List<string>();
int graphBlasThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
string library = "SuiteSparse:GraphBLAS";

foreach (var group in options.Cases.GroupBy(c => c.Neurons))
    BenchData.EnsureLayers(options.Data, group.Key, group.Max(c => c.Layers));

foreach (var (neurons, layers, imageLimit) in options.Cases)
{
    string imagePath = options.Images ?? BenchData.RequireImages(options.Data, neurons);
    var load = Stopwatch.StartNew();
    var images = ImageLoader.Load(imagePath, neurons);
    if (imageLimit > 0 && imageLimit < images.Count)
    {
        images = images.Slice(0, imageLimit);
        imagePath = BenchData.WriteTsv(options.Data, images, $"first{imageLimit}");
    }
    else if (!imagePath.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
    {
        imagePath = BenchData.WriteTsv(options.Data, images, Path.GetFileNameWithoutExtension(imagePath));
    }
    float bias = ChallengeSpec.Bias(neurons);
    var network = InMemoryNetwork.Load(new LayerFolderSource(BenchData.LayerFolder(options.Data, neurons), layers, bias));
    double loadSeconds = load.Elapsed.TotalSeconds;
    int[]? truth = options.Images is null && imageLimit == 0 ? BenchData.Truth(options.Data, neurons, layers) : null;

    // CPU engine.
    using var engine = new CpuEngine();
    var inference = new InferenceOptions { Threads = options.Threads };
    using var plan = engine.Plan(network, inference);
    engine.Execute(plan, images, inference);
    var results = new List<InferenceResult>();
    for (int r = 0; r < options.Repeat; r++) results.Add(engine.Execute(plan, images, inference));
    var median = results.OrderBy(x => x.InferenceSeconds).ElementAt(results.Count / 2);
    var cpu = median with { PlanningSeconds = plan.PlanningSeconds };
    bool? cpuPassed = truth is null ? null : CategoryCheck.Compare(truth, cpu.Categories).Passed;
    long peak = Process.GetCurrentProcess().PeakWorkingSet64;
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
        InferenceSamples = [.. results.Select(x => x.InferenceSeconds)],
        Categories = cpu.Categories.Length,
        Passed = cpuPassed,
        PeakHostBytes = peak,
        LayerPoints = [.. cpu.LayerStatistics.Select(s => new LayerPoint(s.Layer, s.LiveImages, s.DistinctRows, s.Seconds))],
        Details = cpu.Details,
    });

    // GraphBLAS on the same files.
    var gb = GraphBlasRunner.Run(options.GraphBlas, BenchData.LayerFolder(options.Data, neurons), neurons, layers, imagePath,
        images.Count, bias, graphBlasThreads, options.GraphBlasRepeat);
    library = gb.Library;
    if (gb.Weights != cpu.Weights || gb.Images != images.Count)
        throw new InvalidOperationException($"GraphBLAS read {gb.Weights} weights and {gb.Images} images, the CPU engine {cpu.Weights} and {images.Count}.");
    bool sameCategories = gb.Categories.AsSpan().SequenceEqual(cpu.Categories);
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

    double cpuTeps = cpu.Edges / cpu.InferenceSeconds / 1e12, gbTeps = cpu.Edges / gb.InferenceSeconds / 1e12;
    string line = string.Create(CultureInfo.InvariantCulture,
        $"| {neurons} | {layers} | {images.Count} | {cpu.InferenceSeconds:F4} | {cpuTeps:F3} | {gb.InferenceSeconds:F4} | {gbTeps:F4} | {gb.InferenceSeconds / cpu.InferenceSeconds:F1}x | {cpu.Categories.Length} | {(sameCategories ? "yes" : "NO")} | {(cpuPassed is null ? "no truth file" : cpuPassed.Value ? "passed" : "FAILED")} |");
    summary.Add(line);
    Console.WriteLine(line);
    if (!sameCategories) Console.Error.WriteLine($"categories differ for {neurons}x{layers}: cpu {cpu.Categories.Length}, GraphBLAS {gb.Categories.Length}");
}

var record = new BenchmarkRecord
{
    Date = DateTimeOffset.UtcNow,
    Commit = MachineProbe.Commit(),
    Machine = MachineProbe.Current(),
    Runs = runs,
};
Directory.CreateDirectory(options.Output);
string stem = Path.Combine(options.Output, options.Name);
SpDnn.Cli.Reporting.ReportWriter.WriteText(stem + ".json", record.ToJson());
var md = new StringBuilder();
md.AppendLine("# CPU engine vs SuiteSparse:GraphBLAS").AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"Date {record.Date:yyyy-MM-dd HH:mm} UTC, commit {record.Commit}, {record.Machine.Cpu}, {record.Machine.Cores} cores, {record.Machine.MemoryGiB} GiB, {record.Machine.OperatingSystem}; {library}, {graphBlasThreads} threads for both.");
md.AppendLine(CultureInfo.InvariantCulture, $"Inference time only (reading and planning excluded); medians of {options.Repeat} CPU-engine runs (after one untimed warm-up) and {options.GraphBlasRepeat} GraphBLAS runs; TE/s = images x weights / seconds. Same TSV files for both engines; \"images\" below 60000 means the first images of the set.").AppendLine();
md.AppendLine("| N | L | images | cpu s | cpu TE/s | GraphBLAS s | GraphBLAS TE/s | cpu speed-up | categories | same as GraphBLAS | truth |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var l in summary) md.AppendLine(l);
SpDnn.Cli.Reporting.ReportWriter.WriteText(stem + ".md", md.ToString());
Console.WriteLine($"wrote {stem}.json and {stem}.md");
