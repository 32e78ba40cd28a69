using System.Diagnostics;
using System.Text.Json;
using SpDnn.Formats;

namespace SpDnn.Bench.Cpu;

/// <summary>What the GraphBLAS harness reported for one network.</summary>
internal sealed record GraphBlasResult(string Library, int Threads, double LoadSeconds, double InferenceSeconds, long Weights, int Images, int[] Categories)
{
    /// <summary>Stopped after this many seconds without an answer (the other fields then mean nothing).</summary>
    public double? StoppedAfterSeconds { get; init; }
}

/// <summary>
/// Runs bench/graphblas's harness on the same TSV files and reads back its JSON line and categories;
/// a run that takes longer than its time limit is stopped (the process this runner started, by its handle).
/// </summary>
internal static class GraphBlasRunner
{
    public static GraphBlasResult Run(string harness, string layerFolder, int neurons, int layers, string images, int imageCount,
        float bias, int threads, int repeat, double timeoutSeconds)
    {
        if (!File.Exists(harness)) throw new FileNotFoundException($"{harness} is missing: build it with bench/graphblas/build.sh.", harness);
        string categories = Path.Combine(Path.GetTempPath(), $"spdnn-graphblas-{Environment.ProcessId}-{neurons}x{layers}.tsv");
        var start = new ProcessStartInfo(harness)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[]
        {
            "--layers-dir", layerFolder, "--neurons", neurons.ToString(), "--layers", layers.ToString(),
            "--images", images, "--image-count", imageCount.ToString(), "--bias", bias.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            "--threads", threads.ToString(), "--repeat", repeat.ToString(), "--categories-out", categories,
        }) start.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {harness}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            File.Delete(categories);
            return new GraphBlasResult("", threads, 0, 0, 0, imageCount, []) { StoppedAfterSeconds = watch.Elapsed.TotalSeconds };
        }
        string stdout = stdoutTask.Result;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{harness} failed ({process.ExitCode}): {stderr.Result.Trim()}");
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        var result = new GraphBlasResult(
            root.GetProperty("library").GetString()!,
            root.GetProperty("threads").GetInt32(),
            root.GetProperty("load_seconds").GetDouble(),
            root.GetProperty("inference_seconds").GetDouble(),
            root.GetProperty("weights").GetInt64(),
            root.GetProperty("images").GetInt32(),
            new FileInfo(categories).Length == 0 ? [] : CategoriesFile.Read(categories));
        File.Delete(categories);
        return result;
    }
}
