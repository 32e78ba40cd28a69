// SpDnn engines against ONNX Runtime (CPU provider) on trained pruned models: the same images, the
// whole batch per run, at the same thread counts. After one warm-up each, the runners take turns
// (ORT, then each engine, --repeat times), so a machine whose load changes during the run slows
// every side alike; the record gives each side's median, min and max, the speed-up both as the
// ratio of medians and as the median of the per-turn ratios, and each side's process CPU time per
// run. Classes are compared with ONNX Runtime's on every image. Session creation and planning are
// untimed on both sides.
// Usage: dotnet run -c Release --project bench/onnx -- [--model a.onnx,b.onnx] [--images idx3] [--labels idx1]
//        [--engines cpu,reference] [--repeat 5] [--threads 1,0] [--ort-spin-after-run no|yes] [--out bench/results] [--name NAME] [--commit SHA]
//        dotnet run -c Release --project bench/onnx -- --summarize a.json,b.json   (the short table of records written before)
// Defaults: the shipped model and the wide one the training script makes (data/models/), the MNIST
// test set, thread counts 1 and 0 (0: every core, the same count given to ONNX Runtime).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpDnn.Bench.Onnx;
using SpDnn.Engines;
using SpDnn.Formats.Idx;
using SpDnn.Formats.Models;
using SpDnn.Model;

if (args is ["--summarize", var files])
{
    Console.Write(ShortTable.OfFiles(files.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
    return;
}
var settings = Settings.Parse(args);
var images = IdxFile.ReadImages(settings.Images);
int[]? labels = settings.Labels is { } l && File.Exists(l) ? IdxFile.ReadLabels(l) : null;
var c = CultureInfo.InvariantCulture;
string loadBefore = LoadAverage();
var rows = new JsonArray();
var table = new StringBuilder();
table.AppendLine("| model | weights (nonzero) | threads | runner | median s | min s | max s | images/s | vs ORT (medians) | vs ORT (paired) | CPU s | vs ORT (CPU s) | classes = ORT | accuracy |");
table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var model in settings.Models)
{
    if (!File.Exists(model))
    {
        Console.Error.WriteLine($"skipped {model}: not found (scripts/train-pruned-mlp.py --model wide makes the wide model)");
        continue;
    }
    var network = ModelFiles.Read(model);
    long weights = Enumerable.Range(0, network.LayerCount).Sum(k => network.GetLayer(k).Weights.NonZeros);
    Console.Error.WriteLine($"{model}: {NetworkFormCheck.Describe(network)}, {weights:N0} nonzero weights");
    foreach (int asked in settings.Threads)
    {
        int threads = asked > 0 ? asked : Environment.ProcessorCount;
        Compare(model, network, weights, threads);
    }
}

void Compare(string model, ILayerSource network, long weights, int threads)
{
    using var ort = new OnnxRuntimeRun(model, images, threads, settings.OrtSpinAfterRun);
    var (_, reference) = ort.Run();
    int outputs = network.Outputs;
    int[] ortClasses = [.. Enumerable.Range(0, images.Count).Select(i => ClassReadOut.Argmax(reference.AsSpan(i * outputs, outputs)))];

    var options = new InferenceOptions { Threads = threads };
    var engines = settings.Engines.Select(name => EngineFactory.Create(name)).ToList();
    var plans = new List<IEnginePlan>();
    var classes = new List<int[]>();
    foreach (var engine in engines)
    {
        NetworkFormCheck.EnsureRuns(engine, network);
        plans.Add(engine.Plan(network, options));
        classes.Add(engine.Execute(plans[^1], images, options).Classes!);
    }

    var ortTimes = new double[settings.Repeat];
    var ortCpu = new double[settings.Repeat];
    var times = engines.Select(_ => new double[settings.Repeat]).ToList();
    var cpu = engines.Select(_ => new double[settings.Repeat]).ToList();
    for (int r = 0; r < settings.Repeat; r++)
    {
        var before = CpuSeconds();
        ortTimes[r] = ort.Run().Seconds;
        ortCpu[r] = CpuSeconds() - before;
        for (int e = 0; e < engines.Count; e++)
        {
            before = CpuSeconds();
            times[e][r] = engines[e].Execute(plans[e], images, options).InferenceSeconds;
            cpu[e][r] = CpuSeconds() - before;
        }
    }
    Add(model, weights, threads, "onnxruntime-cpu", ortTimes, ortTimes, ortCpu, ortCpu, ortClasses, ortClasses);
    for (int e = 0; e < engines.Count; e++)
    {
        Add(model, weights, threads, engines[e].Name, times[e], ortTimes, cpu[e], ortCpu, classes[e], ortClasses);
        plans[e].Dispose();
        engines[e].Dispose();
    }
}

void Add(string model, long weights, int threads, string runner, double[] times, double[] ortTimes, double[] cpu, double[] ortCpu, int[] classes, int[] ortClasses)
{
    int count = images.Count;
    double median = Median(times), ortMedian = Median(ortTimes);
    double cpuMedian = Median(cpu), ortCpuMedian = Median(ortCpu);
    double paired = Median([.. times.Select((t, r) => ortTimes[r] / t)]);
    int same = Enumerable.Range(0, count).Count(i => classes[i] == ortClasses[i]);
    double? accuracy = labels is null ? null : Enumerable.Range(0, count).Count(i => classes[i] == labels[i]) / (double)count;
    rows.Add(new JsonObject
    {
        ["model"] = Path.GetFileName(model),
        ["weights"] = weights,
        ["threads"] = threads,
        ["runner"] = runner,
        ["images"] = count,
        ["medianSeconds"] = median,
        ["minSeconds"] = times.Min(),
        ["maxSeconds"] = times.Max(),
        ["seconds"] = new JsonArray([.. times.Select(t => JsonValue.Create(t))]),
        ["imagesPerSecond"] = count / median,
        ["speedupVsOnnxRuntime"] = ortMedian / median,
        ["pairedSpeedupVsOnnxRuntime"] = paired,
        ["cpuSeconds"] = new JsonArray([.. cpu.Select(t => JsonValue.Create(t))]),
        ["medianCpuSeconds"] = cpuMedian,
        ["cpuTimeRatioVsOnnxRuntime"] = ortCpuMedian / cpuMedian,
        ["classesEqualToOnnxRuntime"] = same,
        ["accuracy"] = accuracy,
    });
    table.AppendLine(string.Create(c, $"| {Path.GetFileName(model)} | {weights:N0} | {threads} | {runner} | {median:F4} | {times.Min():F4} | {times.Max():F4} | {count / median:N0} | {ortMedian / median:F2}x | {paired:F2}x | {cpuMedian:F4} | {ortCpuMedian / cpuMedian:F2}x | {same}/{count} | {(accuracy is { } a ? a.ToString("P2", c) : "-")} |"));
    Console.Error.WriteLine(string.Create(c, $"  {threads} thread(s), {runner}: median {median:F4} s (min {times.Min():F4}, max {times.Max():F4}), {ortMedian / median:F2}x ONNX Runtime (paired {paired:F2}x), CPU {cpuMedian:F4} s ({ortCpuMedian / cpuMedian:F2}x), classes equal {same}/{count}"));
}

var record = new JsonObject
{
    ["benchmark"] = "SpDnn vs ONNX Runtime (CPU provider) on pruned MNIST MLPs",
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", c) + " UTC",
    ["commit"] = settings.Commit ?? GitCommit(),
    ["machine"] = $"{Environment.MachineName}, {CpuModel()}, {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["loadAverageBefore"] = loadBefore,
    ["loadAverageAfter"] = LoadAverage(),
    ["threads"] = new JsonArray([.. settings.Threads.Select(t => JsonValue.Create(t > 0 ? t : Environment.ProcessorCount))]),
    ["repeat"] = settings.Repeat,
    ["images"] = settings.Images,
    ["ortSpinAfterRun"] = settings.OrtSpinAfterRun ? "yes" : "no (session.force_spinning_stop)",
    ["onnxRuntime"] = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(),
    ["rows"] = rows,
};
Directory.CreateDirectory(settings.Out);
var stem = Path.Combine(settings.Out, settings.Name);
File.WriteAllText(stem + ".json", record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
string md = $"# {record["benchmark"]}\n\n{record["date"]}, commit {record["commit"]}; {record["machine"]}; load average (1, 5, 15 min; threads runnable/all) "
    + $"before {record["loadAverageBefore"]}, after {record["loadAverageAfter"]}; ONNX Runtime {record["onnxRuntime"]}; "
    + $"ONNX Runtime's threads spinning after its runs: {record["ortSpinAfterRun"]}; batch {images.Count} images; after a warm-up, {settings.Repeat} turns of each runner in alternation; "
    + "\"paired\" is the median of the per-turn ratios; \"CPU s\" is the process's CPU time per run (median), which a busy machine's "
    + "time slicing does not inflate: with one thread it is the work itself, with more it also counts threads that spin while they wait.\n\n" + table;
File.WriteAllText(stem + ".md", md);
Console.Write(md);
Console.WriteLine($"\nwrote {stem}.json and {stem}.md\n");
Console.Write(ShortTable.Of([record]));

static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

static double Median(double[] values)
{
    var sorted = values.Order().ToArray();
    int n = sorted.Length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// The 1, 5 and 15 minute load averages and the threads runnable now / all.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(4)) : "";

static string CpuModel()
{
    if (!File.Exists("/proc/cpuinfo")) return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(x => x.StartsWith("model name", StringComparison.Ordinal));
    return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
}

static string GitCommit()
{
    try
    {
        using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true });
        string sha = git!.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 && sha.Length > 0 ? sha : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
