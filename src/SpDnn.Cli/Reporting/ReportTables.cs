using System.Globalization;
using System.Text;

namespace SpDnn.Cli.Reporting;

/// <summary>Markdown and CSV renderings of benchmark records.</summary>
public static class ReportTables
{
    private static string F(double v, string format = "G4") => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Markdown(BenchmarkRecord record)
    {
        var s = new StringBuilder();
        s.AppendLine($"Date: {record.Date:yyyy-MM-dd HH:mm} UTC; commit `{record.Commit}`; machine: {record.Machine.Cpu}, {record.Machine.Cores} cores, {F(record.Machine.MemoryGiB, "F0")} GiB" +
                     (record.Machine.Gpu is { } gpu ? $"; GPU: {gpu}" : "") + ".");
        s.AppendLine();
        s.AppendLine("| Network (N x L) | Engine | Images | Load s | Plan s | Upload s | Inference s (median) | min - max s | Repeats | Upload + inference s | Answer s (cold) | TE/s | vs seed code (H200) | Categories | Truth |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Ordered(record.Runs))
        {
            var seed = ReferenceFigures.SeedCodeTeraEdges(r);
            string vsSeed = seed is { } t && r.Images == 60000 ? $"{F(r.TeraEdgesPerSecond / t, "F2")}x" : "-";
            string truth = r.Passed switch { true => "PASSED", false => "FAILED", null => "-" };
            s.AppendLine($"| {r.NetworkLabel} | {r.Engine} | {r.Images} | {F(r.LoadSeconds, "F3")} | {F(r.PlanningSeconds, "F3")} | {Optional(r.UploadSeconds)} | {F(r.InferenceSeconds, "G4")} | {Spread(r)} | {r.Repeats} | {Optional(r.EndToEndSeconds)} | {Optional(r.TimeToAnswer?.TotalSeconds)} | {F(r.TeraEdgesPerSecond, "F3")} | {vsSeed} | {r.Categories} | {truth} |");
        }
        s.AppendLine().AppendLine(TimingNote);
        var cold = Ordered(record.Runs).Where(r => r.TimeToAnswer is not null).ToList();
        if (cold.Count > 0)
        {
            s.AppendLine().AppendLine("Time to answer (cold path: load, plan, first run), seconds:").AppendLine();
            s.AppendLine("| Network (N x L) | Engine | Answer | Load | Plan (exposed) | Upload | Inference | Other |");
            s.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in cold)
            {
                var a = r.TimeToAnswer!;
                s.AppendLine($"| {r.NetworkLabel} | {r.Engine} | {F(a.TotalSeconds, "F3")} | {F(a.LoadSeconds, "F3")} | {F(a.PlanSeconds, "F3")} | {F(a.UploadSeconds, "F3")} | {F(a.InferenceSeconds, "F3")} | {F(a.OtherSeconds, "F3")} |");
            }
        }
        if (record.Runs.Any(r => r.Family == BenchmarkRun.GeneralFamily))
            s.AppendLine().AppendLine($"Seed code on the general family: {GeneralFamilyBaseline.Provenance} (measured {GeneralFamilyBaseline.Measured}; bench/baselines/{GeneralFamilyBaseline.FileName}).");
        AppendFullWidthLayers(s, record);
        return s.ToString();
    }

    /// <summary>
    /// The general family's layers against the copy ceiling measured in the same session: every layer
    /// of that family is full width with every image live, so a layer's time is the inference time
    /// over the layers, and it must at least read and write the dense features (images x N float32 each way).
    /// </summary>
    private static void AppendFullWidthLayers(StringBuilder s, BenchmarkRecord record)
    {
        var runs = Ordered(record.Runs).Where(r => r.Family == BenchmarkRun.GeneralFamily && r.Engine.StartsWith("gpu", StringComparison.Ordinal)).ToList();
        if (record.CopyCeiling is not { BytesPerSecond: > 0 } ceiling || runs.Count == 0) return;
        s.AppendLine().AppendLine($"Full-width layers of the general family against the copy ceiling: {F(ceiling.BytesPerSecond / 1e12, "F2")} TB/s read + written "
            + $"({ceiling.BufferBytes >> 20} MiB copied device to device on {ceiling.Device}, fastest of {ceiling.Repeats}, measured in this run). "
            + "A layer's time is the inference time over its layers; its features are the dense float32 features it reads and writes at least (images x N x 4 bytes each way).").AppendLine();
        s.AppendLine("| Network (N x L) | Engine | Layer ms (mean) | Features a layer GB | Effective TB/s | Share of the copy ceiling |");
        s.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            double layerSeconds = r.InferenceSeconds / r.Layers;
            double bytes = 2.0 * r.Images * r.Neurons * sizeof(float);
            double effective = bytes / layerSeconds;
            s.AppendLine($"| {r.NetworkLabel} | {r.Engine} | {F(layerSeconds * 1e3, "G4")} | {F(bytes / 1e9, "G4")} | {F(effective / 1e12, "F3")} | {F(100 * effective / ceiling.BytesPerSecond, "F1")}% |");
        }
    }

    /// <summary>What the columns include, under every table (docs/timing.md has the whole story).</summary>
    public const string TimingNote =
        "Inference: the engine's timed run (TE/s divides by it), from the images in the engine's memory to the categories; "
        + "upload: the images into that memory (GPU: copying the images to the device and expanding them there), outside inference; "
        + "load (reading or generating the data) and plan (the engine's layout, for the GPU built and copied to the device) are outside both. "
        + "Answer: the cold path, from the start of loading to the first (untimed) run's categories, opening the engine included.";

    private static string Optional(double? seconds) => seconds is { } v ? F(v, "G4") : "-";

    private static string Spread(BenchmarkRun r) => r.Repeats > 1 ? $"{F(r.InferenceMinSeconds)} - {F(r.InferenceMaxSeconds)}" : "-";

    /// <summary>
    /// Two records side by side: runs matched by (network, engine), with after/before ratios of time. A ratio
    /// whose two runs' min-max ranges overlap is marked as within the noise; with a single repeat on either
    /// side the noise is unknown, and the mark says so.
    /// </summary>
    public static string Comparison(BenchmarkRecord before, BenchmarkRecord after)
    {
        var s = new StringBuilder();
        s.AppendLine($"Before: {before.Date:yyyy-MM-dd} `{before.Commit}` ({before.Machine.Gpu ?? before.Machine.Cpu}); after: {after.Date:yyyy-MM-dd} `{after.Commit}` ({after.Machine.Gpu ?? after.Machine.Cpu}).");
        s.AppendLine();
        s.AppendLine("| Network (N x L) | Engine | Before s (min - max, n) | After s (min - max, n) | Before TE/s | After TE/s | Speed-up | Noise |");
        s.AppendLine("|---|---|---|---|---|---|---|---|");
        var earlier = before.Runs.ToDictionary(r => (r.Family, r.Neurons, r.Layers, r.Engine));
        foreach (var a in Ordered(after.Runs))
        {
            if (!earlier.TryGetValue((a.Family, a.Neurons, a.Layers, a.Engine), out var b))
            {
                s.AppendLine($"| {a.NetworkLabel} | {a.Engine} | - | {WithSpread(a)} | - | {F(a.TeraEdgesPerSecond, "F3")} | - | - |");
                continue;
            }
            string ratio = a.InferenceSeconds > 0 ? $"{F(b.InferenceSeconds / a.InferenceSeconds, "F2")}x" : "-";
            s.AppendLine($"| {a.NetworkLabel} | {a.Engine} | {WithSpread(b)} | {WithSpread(a)} | {F(b.TeraEdgesPerSecond, "F3")} | {F(a.TeraEdgesPerSecond, "F3")} | {ratio} | {Noise(b, a)} |");
        }
        return s.ToString();
    }

    private static string WithSpread(BenchmarkRun r) =>
        r.Repeats > 1 ? $"{F(r.InferenceSeconds)} ({F(r.InferenceMinSeconds)} - {F(r.InferenceMaxSeconds)}, {r.Repeats})" : $"{F(r.InferenceSeconds)} (1 run)";

    /// <summary>Whether two runs differ beyond their spread: their min-max ranges of time do not overlap.</summary>
    public static string Noise(BenchmarkRun before, BenchmarkRun after)
    {
        if (before.Repeats < 2 || after.Repeats < 2) return "unknown (1 run)";
        bool overlap = before.InferenceMinSeconds <= after.InferenceMaxSeconds && after.InferenceMinSeconds <= before.InferenceMaxSeconds;
        return overlap ? "within the noise" : "beyond the noise";
    }

    public static string Csv(BenchmarkRecord record)
    {
        var s = new StringBuilder();
        s.AppendLine("date,commit,machine,gpu,engine,neurons,layers,images,edges,load_s,planning_s,inference_s,inference_min_s,inference_max_s,repeats,teraedges_per_s,categories,passed,peak_host_bytes,peak_device_bytes,upload_s,end_to_end_s,answer_s,answer_plan_s");
        foreach (var r in Ordered(record.Runs))
        {
            s.AppendLine(string.Join(',',
                record.Date.ToString("O", CultureInfo.InvariantCulture), record.Commit, Quote(record.Machine.Cpu), Quote(record.Machine.Gpu ?? ""),
                r.Engine, r.Neurons, r.Layers, r.Images, F(r.Edges, "R"), F(r.LoadSeconds, "R"), F(r.PlanningSeconds, "R"),
                F(r.InferenceSeconds, "R"), F(r.InferenceMinSeconds, "R"), F(r.InferenceMaxSeconds, "R"), r.Repeats, F(r.TeraEdgesPerSecond, "R"), r.Categories,
                r.Passed?.ToString().ToLowerInvariant() ?? "", r.PeakHostBytes, r.PeakDeviceBytes?.ToString(CultureInfo.InvariantCulture) ?? "",
                Raw(r.UploadSeconds), Raw(r.EndToEndSeconds), Raw(r.TimeToAnswer?.TotalSeconds), Raw(r.TimeToAnswer?.PlanSeconds)));
        }
        return s.ToString();
    }

    private static string Raw(double? v) => v is { } x ? F(x, "R") : "";

    private static string Quote(string v) => v.Contains(',') || v.Contains('"') ? $"\"{v.Replace("\"", "\"\"")}\"" : v;

    public static IEnumerable<BenchmarkRun> Ordered(IEnumerable<BenchmarkRun> runs) =>
        runs.OrderBy(r => r.Neurons).ThenBy(r => r.Layers).ThenBy(r => r.Engine, StringComparer.Ordinal);
}
