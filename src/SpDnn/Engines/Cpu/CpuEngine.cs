using System.Diagnostics;
using System.Runtime.Intrinsics;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The fast exact CPU engine. Per layer it computes only the distinct live rows: dead images
/// (all-zero rows) leave for good and bit-identical rows are computed once (see
/// <see cref="LiveSet"/>). Each layer picks, from the measured density of those rows, a scalar
/// scatter over the nonzero inputs or a SIMD gather over tiles of 16 rows held densely. All
/// workers share every layer; plans are held whole or streamed, whichever fits memory.
/// Results are bit-identical to the reference engine (same summation order, no fused multiply-add).
/// </summary>
public sealed class CpuEngine(CpuEngineOptions? engineOptions = null) : IInferenceEngine
{
    private readonly CpuEngineOptions _engineOptions = engineOptions ?? new CpuEngineOptions();

    public string Name => "cpu";

    public CpuEngineOptions EngineOptions => _engineOptions;

    public IEnginePlan Plan(ILayerSource network, InferenceOptions options) =>
        new CpuNetworkPlan(network, _engineOptions, ThreadCount(options));

    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as CpuNetworkPlan ?? throw new ArgumentException("The plan was not made by the CPU engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");

        int threads = ThreadCount(options);
        using var team = new WorkerTeam(threads);
        using var run = new CpuRun(images, _engineOptions, team);
        using var plans = p.Open(options.Cancellation);
        var stats = new List<LayerStatistics>(p.LayerCount);
        long weights = 0;
        double waitSeconds = 0;
        var total = Stopwatch.StartNew();
        for (int k = 0; k < p.LayerCount; k++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            long before = Stopwatch.GetTimestamp();
            var layer = plans.Take(k);
            waitSeconds += Stopwatch.GetElapsedTime(before).TotalSeconds;
            weights += layer.NonZeros;
            stats.Add(run.Step(layer, k));
            plans.Release(k);
            options.Progress?.Report(k + 1);
        }
        total.Stop();

        var live = run.Live;
        var categories = new int[live.Count];
        for (int i = 0; i < categories.Length; i++) categories[i] = images.ImageNumber(live.Images[i]);
        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = p.LayerCount,
            Images = images.Count,
            Weights = weights,
            Categories = categories,
            InferenceSeconds = total.Elapsed.TotalSeconds,
            LayerStatistics = stats,
            FinalFeatures = options.KeepFinalFeatures ? run.FinalFeatures() : null,
            Details = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(),
                ["simd"] = Vector512.IsHardwareAccelerated ? "Vector512" : "Vector512 (emulated)",
                ["plans"] = p.IsStreaming ? $"streamed, window {p.Window}" : "held",
                ["plan wait seconds"] = waitSeconds.ToString("G4"),
                ["sparse-input layers"] = run.SparseInputLayers.ToString(),
                ["dense-tile layers"] = run.DenseTileLayers.ToString(),
                ["collapse"] = _engineOptions.CollapseIdenticalRows ? $"on, checked after {run.CheckedLayers} layers" : "off",
            },
        };
    }

    private static int ThreadCount(InferenceOptions options) =>
        options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

    public void Dispose() { }
}
