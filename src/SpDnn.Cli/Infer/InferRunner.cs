using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Terminal;
using SpDnn.Distributed;
using SpDnn.Distributed.Mpi;
using SpDnn.Engines;
using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Cli.Infer;

/// <summary>
/// Runs one <c>spdnn infer</c>: reads the network and images (untimed), plans, infers, checks
/// the truth, writes the categories and reports as text or one JSON record.
/// </summary>
public sealed partial class InferRunner(TextWriter output, TextWriter error, StepProgress progress)
{
    /// <summary>Networks up to this share of the available memory are read whole before planning,
    /// so that engines which read layers while they run do not time file parsing.</summary>
    private const double PreloadMemoryShare = 0.5;

    public InferReport? LastReport { get; private set; }

    /// <returns>The exit code: 0, or 1 when a truth was given and the categories differ.</returns>
    public int Run(InferRequest request)
    {
        if (MpiLaunch.FromEnvironment().IsMultiProcess) return RunOnRanks(request);
        var clock = request.Clock;
        long runStart = Stopwatch.GetTimestamp();
        var opened = request.OpenNetwork();
        try
        {
            // The images and the truth are read on another thread while the engine opens and plans
            // (N = 65536: 3 GB of images, seconds of reading, beside seconds of planning on every core).
            var reading = ReadImagesAndTruth(request, opened.Neurons);
            double openSeconds = Stopwatch.GetElapsedTime(runStart).TotalSeconds;
            long engineStart = Stopwatch.GetTimestamp();
            using var engine = ScaleOutEngines.Create(new EngineRequest(request.Engine, request.Gpus, request.RebalanceAfter, !opened.IsChallengeForm), new SingleProcessCommunicator());
            double engineSeconds = Stopwatch.GetElapsedTime(engineStart).TotalSeconds;
            // An engine that reads each layer once, while planning, reads a binary file's layers from
            // the mapped file as it plans them (reading overlaps planning), and a generated network's
            // as they are made (with each layer's weights by output: no transpose); others get the
            // network in memory.
            long preloadStart = Stopwatch.GetTimestamp();
            var network = engine.ReadsLayersOnlyWhilePlanning && opened is BinaryNetworkSource or IOutputListLayerSource ? opened : Preload(opened);
            double preloadSeconds = Stopwatch.GetElapsedTime(preloadStart).TotalSeconds;

            var options = new InferenceOptions { Threads = request.Threads, PlanCacheFolder = request.PlanCache, Note = note => error.WriteLine($"note: {note}") };
            NetworkFormCheck.EnsureRuns(engine, network);
            var planWatch = Stopwatch.StartNew();
            using var plan = progress.Run($"planning ({engine.Name})", 0, _ => engine.Plan(network, options));
            double planSeconds = planWatch.Elapsed.TotalSeconds;
            long waitStart = Stopwatch.GetTimestamp();
            var (images, truth, imagesSeconds) = reading.GetAwaiter().GetResult();
            double imagesWaitSeconds = Stopwatch.GetElapsedTime(waitStart).TotalSeconds;

            var result = progress.Run("inference", network.LayerCount,
                reporter => engine.Execute(plan, images, options with { Progress = reporter }));
            result = result with { PlanningSeconds = plan.PlanningSeconds };
            // Waiting for the images after the Plan call returned is exposed planning while the
            // engine was still planning (a GPU plan goes on after its first chunk), load after.
            double planBusySeconds = Math.Clamp(plan.PlanningSeconds - planSeconds, 0, imagesWaitSeconds);
            planSeconds += planBusySeconds;
            double loadSeconds = openSeconds + preloadSeconds + imagesWaitSeconds - planBusySeconds;
            // Load in the time to answer also has the command's steps before this (the generated dataset made or checked).
            double answerLoadSeconds = clock.CommandSecondsAt(runStart) + loadSeconds;

            var check = truth is null ? null : CategoryCheck.Compare(truth, result.Categories);
            if (request.CategoriesOut is not null) CategoriesFile.Write(request.CategoriesOut, result.Categories);
            var answer = TimeToAnswer.Of(clock.TotalSeconds, clock.StartupSeconds, answerLoadSeconds, planSeconds, result) with
            {
                EngineSeconds = engineSeconds,
                ImagesSeconds = imagesSeconds,
            };
            var classification = Classify(request, network, images.Count, result);

            var report = BuildReport(request, network, images.Description, result, loadSeconds, check, answer) with
            {
                ImagesPerSecond = result.InferenceSeconds > 0 ? images.Count / result.InferenceSeconds : 0,
                Classification = classification,
            };
            LastReport = report;
            if (request.Json) output.WriteLine(JsonSerializer.Serialize(report, InferReportJson.Default.InferReport));
            else
            {
                WriteText(report, result, check);
                if (classification is not null) WriteClassification(report, classification);
            }
            return check is { Passed: false } ? CliRunner.ExitFailedCheck : CliRunner.ExitOk;
        }
        finally
        {
            (opened as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// The images (those the command is reading already, or read here) and the truth, on another
    /// thread; with the seconds from the start of their reading to its end.
    /// </summary>
    private static Task<(ImageBatch Images, int[]? Truth, double Seconds)> ReadImagesAndTruth(InferRequest request, int neurons)
    {
        long start = Stopwatch.GetTimestamp();
        return Task.Run(() =>
        {
            var images = request.LoadingImages?.GetAwaiter().GetResult() is { } loaded && loaded.Neurons == neurons ? loaded
                : ImageLoader.Load(request.Images, neurons);
            int[]? truth = request.Truth is null ? null : CategoriesFile.Read(request.Truth);
            // Images the command began reading earlier: from the command's start.
            double seconds = request.LoadingImages is null ? Stopwatch.GetElapsedTime(start).TotalSeconds : request.Clock.CommandSeconds;
            return (images, truth, seconds);
        });
    }

    /// <summary>The class read-out's summary, with labels when given; writes the predictions when asked.</summary>
    private static Classification? Classify(InferRequest request, ILayerSource network, int images, InferenceResult result)
    {
        if (result.Classes is not { } classes)
        {
            if (request.Labels is not null || request.PredictionsOut is not null)
                throw new SpDnnUsageException($"--labels and --predictions-out need a model with a class read-out; {network.Description} answers with the rows still nonzero.");
            return null;
        }
        var labels = request.Labels is null ? null : Classification.ReadLabels(request.Labels, images, network.Outputs);
        if (request.PredictionsOut is not null) Classification.WritePredictions(request.PredictionsOut, classes);
        return Classification.Of(classes, network.Outputs, labels);
    }

    private void WriteClassification(InferReport report, Classification c)
    {
        var ci = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(ci, $"throughput  {report.ImagesPerSecond:N0} images/s"));
        if (c.Accuracy is { } accuracy) output.WriteLine(string.Create(ci, $"accuracy    {accuracy:P2} ({c.Correct:N0} of {report.Images:N0})"));
        output.WriteLine(c.LabelledPerClass is null ? "class       predicted" : "class       predicted  labelled  correct");
        for (int k = 0; k < c.PredictedPerClass.Length; k++)
            output.WriteLine(c.LabelledPerClass is null
                ? string.Create(ci, $"{k,-11} {c.PredictedPerClass[k],9}")
                : string.Create(ci, $"{k,-11} {c.PredictedPerClass[k],9} {c.LabelledPerClass[k],9} {c.CorrectPerClass![k],8}"));
    }

    private ILayerSource Preload(ILayerSource source)
    {
        if (source is InMemoryNetwork) return source;
        var first = source.GetLayer(0);
        long estimate = (long)source.LayerCount * (first.Weights.NonZeros * 8 + 4L * source.Neurons + 4L * (source.Neurons + 1));
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (estimate > available * PreloadMemoryShare)
        {
            error.WriteLine($"note: the network (about {estimate / (1 << 20)} MiB) is streamed from {source.Description}; file reading is part of the timings");
            return source;
        }
        var layers = new NetworkLayer[source.LayerCount];
        layers[0] = first;
        int done = 1;
        progress.Run("reading network", source.LayerCount, reporter =>
        {
            reporter?.Report(1);
            LayerReading.ForEach(source, (k, layer) =>
            {
                layers[k] = layer;
                reporter?.Report(Interlocked.Increment(ref done));
            }, from: 1);
            return 0;
        });
        return new InMemoryNetwork(layers, source.Description, source.ReadOut) { KnownChecksum = NetworkChecksum.Known(source) };
    }

    private static InferReport BuildReport(InferRequest request, ILayerSource network, string imagesDescription, InferenceResult result,
        double loadSeconds, CategoryCheck? check, TimeToAnswer answer) => new()
        {
            Engine = result.Engine,
            Network = network.Description,
            ImagesPath = imagesDescription,
            Neurons = result.Neurons,
            Layers = result.Layers,
            Images = result.Images,
            Weights = result.Weights,
            Edges = result.Edges,
            LoadSeconds = loadSeconds,
            PlanningSeconds = result.PlanningSeconds,
            InferenceSeconds = result.InferenceSeconds,
            UploadSeconds = result.UploadSeconds,
            EndToEndSeconds = result.EndToEndSeconds,
            PlanWaitSeconds = result.PlanWaitSeconds,
            TimeToAnswer = answer,
            TeraEdgesPerSecond = result.TeraEdgesPerSecond,
            Categories = result.Categories.Length,
            CategoryImages = result.Categories,
            LiveImagesPerLayer = [.. result.LayerStatistics.Select(s => s.LiveImages)],
            Threads = request.Threads,
            Truth = request.Truth,
            Passed = check?.Passed,
            ExpectedCategories = check?.Expected,
            Missing = check?.Missing.Length,
            Unexpected = check?.Unexpected.Length,
            Details = result.Details.Count > 0 ? result.Details : null,
        };

    private void WriteText(InferReport report, InferenceResult result, CategoryCheck? check)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"network     {report.Network}: {report.Neurons} neurons, {report.Layers} layers, {report.Weights:N0} weights"));
        output.WriteLine(string.Create(c, $"images      {report.ImagesPath}: {report.Images:N0} images"));
        output.WriteLine($"engine      {report.Engine}{(report.Threads > 0 ? $" ({report.Threads} threads)" : "")}");
        output.WriteLine(string.Create(c, $"load        {report.LoadSeconds:F3} s (not timed)"));
        output.WriteLine(string.Create(c, $"planning    {report.PlanningSeconds:F3} s"));
        output.WriteLine(string.Create(c, $"upload      {report.UploadSeconds:F3} s (images into the engine's memory)"));
        output.WriteLine(string.Create(c, $"inference   {report.InferenceSeconds:F3} s{(report.PlanWaitSeconds >= 0.0005 ? string.Create(c, $" ({report.PlanWaitSeconds:F3} s of it waiting for plans)") : "")}"));
        output.WriteLine(string.Create(c, $"end-to-end  {report.EndToEndSeconds:F3} s (upload + inference)"));
        output.WriteLine($"answer      {report.TimeToAnswer} (process start to categories written)");
        output.WriteLine($"live images {LiveSummary(result.LayerStatistics, report.Images)}");
        output.WriteLine(string.Create(c, $"categories  {report.Categories:N0}"));
        output.WriteLine(string.Create(c, $"edges       {report.Edges:E4}"));
        output.WriteLine(string.Create(c, $"rate        {report.TeraEdgesPerSecond:G4} TE/s"));
        if (check is not null) output.WriteLine(check.ToString());
    }

    /// <summary>Live images after each layer, shortened to the first and last layers for deep networks.</summary>
    private static string LiveSummary(IReadOnlyList<LayerStatistics> stats, int images)
    {
        if (stats.Count == 0) return $"{images} (no layer statistics)";
        IEnumerable<string> Part(IEnumerable<LayerStatistics> s) => s.Select(x => $"{x.LiveImages}");
        var text = stats.Count <= 12
            ? string.Join(" ", Part(stats))
            : $"{string.Join(" ", Part(stats.Take(8)))} ... {string.Join(" ", Part(stats.Skip(stats.Count - 2)))}";
        return $"{text} (after layers 1..{stats.Count}; {stats[^1].LiveImages} alive at the end)";
    }
}
