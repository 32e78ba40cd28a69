using System.Diagnostics;
using System.Globalization;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Bench;

/// <summary>
/// Runs every engine on every network of a grid (challenge or general family): the data comes from
/// the generator and the user data cache, each engine plans once, runs once untimed (warm-up), then
/// <see cref="BenchRequest.Repeat"/> timed times; the median run is recorded and checked against the
/// truth (for the general family, the truth of the first images, checked by one more untimed run).
/// </summary>
public sealed class BenchRunner(TextWriter output, TextWriter error, StepProgress progress, ChallengeDataCache cache)
{
    /// <summary>Share of available memory a network may take to be held whole; larger ones stream from the generator.</summary>
    private const double HoldFraction = 0.35;

    /// <summary>The GPU's copy ceiling, measured once a record, after the first GPU engine's runs.</summary>
    private DeviceCopyCeiling? _copyCeiling;

    public BenchmarkRecord Run(BenchRequest request)
    {
        _copyCeiling = null;
        var runs = new List<BenchmarkRun>();
        string? gpu = null;
        var given = new Dictionary<int, (ImageBatch Images, double Seconds)>();
        foreach (var file in request.ImageFiles)
        {
            var watch = Stopwatch.StartNew();
            var batch = progress.Run($"images {Path.GetFileName(file)}", 0, _ => ImageLoader.Load(file));
            given[batch.Neurons] = (batch, watch.Elapsed.TotalSeconds);
        }
        foreach (int neurons in request.Neurons)
        {
            var load = Stopwatch.StartNew();
            var all = given.TryGetValue(neurons, out var file)
                ? file.Images
                : progress.Run($"images N={neurons}", 1000,
                    p => cache.Images(neurons, p is null ? null : new Progress<double>(f => p.Report((int)(f * 1000)))));
            var images = request.Images >= all.Count ? all : all.Slice(0, request.Images);
            double imageSeconds = given.TryGetValue(neurons, out var g) ? g.Seconds : load.Elapsed.TotalSeconds;
            foreach (int layers in request.Layers)
            {
                load.Restart();
                var (network, held, generator) = Open(request.Family, neurons, layers);
                double networkSeconds = load.Elapsed.TotalSeconds;
                bool general = request.Family == NetworkFamily.General;
                var truth = general ? null : TruthLookup.Find(request.TruthFolders, neurons, layers, images.Count);
                var generalTruth = general ? GeneralTruth.Find(request.TruthFolders, neurons, layers, images.Count) : null;
                foreach (string engineName in request.Engines)
                {
                    var (run, categories, firstImages) = Measure(engineName, network, generator, images, request, truth?.Categories,
                        general ? (generalTruth, request.WriteTruthTo is not null && generalTruth is null) : null);
                    run = run with
                    {
                        LoadSeconds = imageSeconds + networkSeconds,
                        TimeToAnswer = run.TimeToAnswer! with
                        {
                            TotalSeconds = run.TimeToAnswer!.TotalSeconds + imageSeconds + networkSeconds,
                            LoadSeconds = imageSeconds + networkSeconds,
                        },
                        Family = request.Family.RecordName(),
                        Details = WithHolding(run.Details, held, TruthScope(generalTruth)),
                    };
                    gpu ??= engineName.StartsWith("gpu", StringComparison.OrdinalIgnoreCase) && run.Details is { } d && d.TryGetValue("device", out var device) ? device : null;
                    runs.Add(run);
                    error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{(general ? "general " : "")}{neurons}x{layers} {run.Engine}: {run.InferenceSeconds:G4} s, {run.TeraEdgesPerSecond:F3} TE/s, upload {run.UploadSeconds:G4} s, answer {run.TimeToAnswer!.TotalSeconds:G4} s, {run.Categories} categories, truth {(run.Passed is null ? "none" : run.Passed.Value ? "PASSED" : "FAILED")}"));
                    if (truth is null && !general && request.WriteTruthTo is { } folder && run.Engine is "reference" or "cpu" && images.Count == ChallengeSpec.OfficialImageCount)
                        WriteTruth(folder, neurons, layers, run.Engine, categories);
                    if (generalTruth is null && firstImages is not null && request.WriteTruthTo is { } generalFolder)
                    {
                        var written = GeneralTruth.Write(generalFolder, neurons, layers, firstImages);
                        output.WriteLine($"wrote truth {string.Join(", ", written)} (first {firstImages.Images} images, {firstImages.Categories.Length} categories, {run.Engine} engine)");
                        // The engines after this one are checked against it.
                        generalTruth = new GeneralTruth(firstImages.Images, firstImages.Categories, GeneralTruth.Digest(firstImages), written[0]);
                    }
                }
            }
        }
        return new BenchmarkRecord
        {
            Date = DateTimeOffset.UtcNow,
            Commit = MachineProbe.Commit(),
            Machine = MachineProbe.Current(gpu),
            Runs = runs,
            CopyCeiling = _copyCeiling,
        };
    }

    /// <returns>The network the engines run (held in memory where it fits, else the generator) and the generator itself.</returns>
    private (ILayerSource Network, bool Held, ILayerSource Generator) Open(NetworkFamily family, int neurons, int layers)
    {
        var generator = family.Generator(neurons, layers);
        double bytes = (double)neurons * ChallengeSpec.ConnectionsPerNeuron * layers * (sizeof(int) + sizeof(float));
        if (bytes > HoldFraction * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) return (generator, false, generator);
        return (progress.Run($"network {neurons}x{layers}", 0, _ => InMemoryNetwork.Load(generator)), true, generator);
    }

    /// <param name="general">For the general family: its truth, and whether one is to be written (by the reference or cpu engine).</param>
    /// <returns>The run, the median run's categories and, for the general family when checked or written, the run on the first images.</returns>
    /// <param name="generator">The generator of <paramref name="network"/>: an engine that reads each layer only while planning plans
    /// from it, as <c>spdnn infer</c> does (each layer's weights by output as made, no transpose).</param>
    private (BenchmarkRun Run, int[] Categories, InferenceResult? FirstImages) Measure(string engineName, ILayerSource network, ILayerSource generator, ImageBatch images,
        BenchRequest request, int[]? truth, (GeneralTruth? Truth, bool WriteWanted)? general)
    {
        // The cold path, for the time to answer: opening the engine, planning, the first run (warm-up).
        var cold = Stopwatch.StartNew();
        using var engine = EngineFactory.Create(engineName);
        var options = new InferenceOptions { Threads = request.Threads, PlanCacheFolder = request.PlanCache, Note = note => error.WriteLine($"note: {note}") };
        var planWatch = Stopwatch.StartNew();
        var planned = engine.ReadsLayersOnlyWhilePlanning ? generator : network;
        using var plan = progress.Run($"plan {engine.Name} {network.Neurons}x{network.LayerCount}", 0, _ => engine.Plan(planned, options));
        double planSeconds = planWatch.Elapsed.TotalSeconds;
        var warmUp = progress.Run($"warm-up {engine.Name}", network.LayerCount, p => engine.Execute(plan, images, options with { Progress = p }));
        var answer = TimeToAnswer.Of(cold.Elapsed.TotalSeconds, 0, 0, planSeconds, warmUp);
        var results = new List<InferenceResult>(request.Repeat);
        for (int r = 0; r < request.Repeat; r++)
            results.Add(progress.Run($"run {r + 1}/{request.Repeat} {engine.Name}", network.LayerCount, p => engine.Execute(plan, images, options with { Progress = p })));
        var median = results.OrderBy(x => x.InferenceSeconds).ElementAt(results.Count / 2);
        InferenceResult? firstImages = null;
        bool? passed = truth is null ? null : CategoryCheck.Compare(truth, median.Categories).Passed;
        if (general is var (generalTruth, writeWanted))
        {
            bool write = writeWanted && engine.Name is "reference" or "cpu";
            int count = generalTruth?.Images ?? Math.Min(request.TruthImages, images.Count);
            if (generalTruth?.FinalRowsDigest is not null || write)
            {
                var keep = options with { KeepFinalFeatures = true };
                firstImages = progress.Run($"first {count} images {engine.Name}", network.LayerCount, p => engine.Execute(plan, images.Slice(0, count), keep with { Progress = p }));
            }
            if (generalTruth is not null)
            {
                passed = CategoryCheck.Compare(generalTruth.Categories, [.. median.Categories.Where(c => c <= generalTruth.Images)]).Passed;
                if (generalTruth.FinalRowsDigest is { } digest)
                    passed &= GeneralTruth.Digest(firstImages!) == digest;
            }
        }
        if (engine is GpuEngine gpuEngine && _copyCeiling is null)
        {
            _copyCeiling = progress.Run("copy ceiling", 0, _ => gpuEngine.MeasureCopyCeiling());
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"copy ceiling: {_copyCeiling.BytesPerSecond / 1e12:F2} TB/s read + written ({_copyCeiling.BufferBytes >> 20} MiB device to device, fastest of {_copyCeiling.Repeats})"));
        }
        long? deviceBytes = median.Details.TryGetValue("planBytes", out var pb) && long.TryParse(pb, CultureInfo.InvariantCulture, out var b) ? b : null;
        var run = new BenchmarkRun
        {
            Engine = engine.Name,
            Neurons = network.Neurons,
            Layers = network.LayerCount,
            Images = images.Count,
            Edges = median.Edges,
            PlanningSeconds = plan.PlanningSeconds,
            InferenceSeconds = median.InferenceSeconds,
            UploadSeconds = median.UploadSeconds,
            TimeToAnswer = answer,
            InferenceSamples = [.. results.Select(x => x.InferenceSeconds)],
            Categories = median.Categories.Length,
            Passed = passed,
            PeakHostBytes = Process.GetCurrentProcess().PeakWorkingSet64,
            PeakDeviceBytes = deviceBytes,
            LayerPoints = [.. median.LayerStatistics.Select(s => new LayerPoint(s.Layer, s.LiveImages, s.DistinctRows, s.Seconds))],
            Details = ReferenceEquals(planned, network) ? median.Details
                : new Dictionary<string, string>(median.Details) { ["planned from"] = "the generator, layer by layer as made" },
        };
        return (run, median.Categories, firstImages);
    }

    private static IReadOnlyDictionary<string, string> WithHolding(IReadOnlyDictionary<string, string>? details, bool held, string? truthScope)
    {
        var d = details is null ? new Dictionary<string, string>() : new Dictionary<string, string>(details);
        d["network"] = held ? "held in memory" : "streamed from the generator";
        if (truthScope is not null) d["truth"] = truthScope;
        return d;
    }

    /// <summary>What a general-family truth checks, for the record.</summary>
    private static string? TruthScope(GeneralTruth? truth) => truth is null ? null :
        $"first {truth.Images} images: categories{(truth.FinalRowsDigest is null ? "" : " and final rows (SHA-256)")}, {Path.GetFileName(truth.Source)}";

    private void WriteTruth(string folder, int neurons, int layers, string engine, int[] categories)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, TruthLookup.FileName(neurons, layers));
        CategoriesFile.Write(path, categories);
        output.WriteLine($"wrote truth {path} ({categories.Length} categories, {engine} engine)");
    }
}
