using System.Diagnostics;
using System.Globalization;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Bench.Planning;

/// <summary>
/// The GPU engine's whole planning of a challenge network, as <c>spdnn infer</c> meets it: the
/// network generated while planning (as <c>spdnn infer --neurons N</c> plans it), or read from its
/// binary file while planning (<c>--network</c>), then <c>Plan</c> on the device (CUDA when
/// present, else ILGPU's CPU simulator, whose uploads are copies in memory). Reports the wall time
/// of the <c>Plan</c> call, the time until every chunk is in device memory, and the plan's own
/// split (planning layers, packing, uploading; with a cache, reading and writing it).
/// </summary>
internal static class GpuPlanRun
{
    public static void Run(string? networkPath, int neurons, int layers, int repeat, string? planCache, int threads, int layersPerChunk, FeatureRows rows)
    {
        var load = Stopwatch.StartNew();
        using var file = networkPath is null ? null : SpDnn.Formats.NetworkLoader.Open(networkPath, layers) as IDisposable;
        ILayerSource network = file as ILayerSource ?? new ChallengeNetworkGenerator(neurons, layers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"network {network.Description} {(file is null ? "generated" : "opened")} in {load.Elapsed.TotalSeconds:F2} s"));
        var accelerator = GpuEngine.IsCudaAvailable() ? GpuAcceleratorChoice.Cuda : GpuAcceleratorChoice.CpuSimulator;
        var defaults = new GpuEngineOptions();
        using var engine = new GpuEngine(new GpuEngineOptions { Accelerator = accelerator, LayersPerChunk = layersPerChunk > 0 ? layersPerChunk : defaults.LayersPerChunk, Rows = rows });
        Console.WriteLine($"device: {engine.DeviceDescription}");
        var options = new InferenceOptions { Threads = threads, PlanCacheFolder = planCache, Note = note => Console.WriteLine($"note: {note}") };
        for (int r = 0; r < repeat; r++)
        {
            GC.Collect();
            var watch = Stopwatch.StartNew();
            using var plan = (GpuPlan)engine.Plan(network, options);
            double returned = watch.Elapsed.TotalSeconds;
            plan.WaitComplete();
            double complete = watch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {r + 1} (rows={rows.ToString().ToLowerInvariant()}, distinct {plan.StoresDistinctRows}): Plan returned after {returned:F3} s, complete after {complete:F3} s; {plan.Phases}; {plan.DeviceBytes / 1e6:F0} MB on the device"));
        }
    }
}
