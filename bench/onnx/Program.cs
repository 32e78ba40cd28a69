// SpDnn engines against ONNX Runtime (CPU provider) on trained pruned models: the same images, the
// whole batch per run, the median of --repeat timed runs after one warm-up; classes compared with
// ONNX Runtime's on every image. Session creation and planning are untimed on both sides.
// Usage: dotnet run -c Release --project bench/onnx -- [--model a.onnx,b.onnx] [--images idx3] [--labels idx1]
//        [--engines cpu,reference] [--repeat 5] [--threads 0] [--out bench/results] [--name NAME]
// Defaults: the shipped model and the wide one the training script makes (data/models/), the MNIST test set.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpDnn.Bench.Onnx;
using SpDnn.Engines;
using SpDnn.Formats.Idx;
using SpDnn.Formats.Models;
using SpDnn.Model;

var settings = Settings.Parse(args);
var images = IdxFile.ReadImages(settings.Images);
int[]? labels = settings.Labels is { } l && File.Exists(l) ? IdxFile.ReadLabels(l) : null;
var c = CultureInfo.InvariantCulture;
var rows = new JsonArray();
var table = new StringBuilder();
table.AppendLine($"| model | weights (nonzero) | runner | median s | images/s | speed-up vs ORT | classes = ORT | accuracy |");
table.AppendLine("|---|---|---|---|---|---|---|---|");
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

    using var ort = new OnnxRuntimeRun(model, images, settings.Threads);
    var (_, reference) = ort.Run();
    var ortTimes = Enumerable.Range(0, settings.Repeat).Select(_ => ort.Run().Seconds).Order().ToArray();
    double ortMedian = ortTimes[ortTimes.Length / 2];
    int outputs = network.Outputs;
    int[] ortClasses = [.. Enumerable.Range(0, images.Count).Select(i => ClassReadOut.Argmax(reference.AsSpan(i * outputs, outputs)))];
    Add(model, weights, "onnxruntime-cpu", ortMedian, ortTimes, ortMedian, images.Count, ortClasses);

    foreach (var name in settings.Engines)
    {
        using var engine = EngineFactory.Create(name);
        var options = new InferenceOptions { Threads = settings.Threads };
        NetworkFormCheck.EnsureRuns(engine, network);
        using var plan = engine.Plan(network, options);
        var warm = engine.Execute(plan, images, options);
        var times = Enumerable.Range(0, settings.Repeat).Select(_ => engine.Execute(plan, images, options).InferenceSeconds).Order().ToArray();
        Add(model, weights, engine.Name, times[times.Length / 2], times, ortMedian, images.Count, warm.Classes!, ortClasses);
    }
}

void Add(string model, long weights, string runner, double median, double[] times, double ortMedian, int count, int[] classes, int[]? ortClasses = null)
{
    int same = ortClasses is null ? count : Enumerable.Range(0, count).Count(i => classes[i] == ortClasses[i]);
    double? accuracy = labels is null ? null : Enumerable.Range(0, count).Count(i => classes[i] == labels[i]) / (double)count;
    rows.Add(new JsonObject
    {
        ["model"] = Path.GetFileName(model),
        ["weights"] = weights,
        ["runner"] = runner,
        ["images"] = count,
        ["medianSeconds"] = median,
        ["seconds"] = new JsonArray([.. times.Select(t => JsonValue.Create(t))]),
        ["imagesPerSecond"] = count / median,
        ["speedupVsOnnxRuntime"] = ortMedian / median,
        ["classesEqualToOnnxRuntime"] = same,
        ["accuracy"] = accuracy,
    });
    table.AppendLine(string.Create(c, $"| {Path.GetFileName(model)} | {weights:N0} | {runner} | {median:F4} | {count / median:N0} | {ortMedian / median:F2}x | {same}/{count} | {(accuracy is { } a ? a.ToString("P2", c) : "-")} |"));
    Console.Error.WriteLine(string.Create(c, $"  {runner}: median {median:F4} s ({count / median:N0} images/s), {ortMedian / median:F2}x ONNX Runtime, classes equal {same}/{count}"));
}

var record = new JsonObject
{
    ["benchmark"] = "SpDnn vs ONNX Runtime (CPU provider) on pruned MNIST MLPs",
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", c) + " UTC",
    ["machine"] = $"{Environment.MachineName}, {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["loadAverage"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
    ["threads"] = settings.Threads,
    ["repeat"] = settings.Repeat,
    ["images"] = settings.Images,
    ["onnxRuntime"] = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(),
    ["rows"] = rows,
};
Directory.CreateDirectory(settings.Out);
var stem = Path.Combine(settings.Out, settings.Name);
File.WriteAllText(stem + ".json", record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
string md = $"# {record["benchmark"]}\n\n{record["date"]}; {record["machine"]}; load average at the end {record["loadAverage"]}; "
    + $"threads {(settings.Threads == 0 ? "all" : settings.Threads)}; median of {settings.Repeat} runs after a warm-up; batch {images.Count} images.\n\n{table}";
File.WriteAllText(stem + ".md", md);
Console.Write(md);
Console.WriteLine($"\nwrote {stem}.json and {stem}.md");
