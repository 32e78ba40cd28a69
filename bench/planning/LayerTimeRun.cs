using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SpDnn.Engines.Gpu;
using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Bench.Planning;

/// <summary>
/// The GPU engine's per-layer host work as <see cref="ChunkPlanner"/> does it with the default
/// options, on one thread, step by step: reading the layer (from a network file, as
/// <c>spdnn infer</c> does, or generated),
/// the plan of the tiled layout (into pooled buffers), the bounds of exact products and the copy
/// into a packing buffer. Thread CPU time (the machine may be shared) and wall time,
/// per layer, best and median over the layers and repeats; or, with threads, the layers planned
/// in parallel (<see cref="RunParallel"/>).
/// </summary>
internal static class LayerTimeRun
{
    // "Lists": the output lists alone, made again after the plan (a part of Plan, shown on its own).
    // "Distinct": the layer as it runs with one feature row per distinct output (gpu:rows=distinct:
    // lists, rows found, inputs read from the layer before's rows); "PlanDistinct": its tiled plan.
    private static readonly string[] StepNames = ["GetLayer", "Plan", "Bounds", "Pack", "Lists", "Distinct", "PlanDistinct"];

    /// <param name="transpose">Plan from the transpose even where the source gives the weights by output (the path before it did).</param>
    public static void Run(string? networkPath, int neurons, int first, int layers, int repeat, bool transpose)
    {
        using var disposable = networkPath is null ? null : NetworkLoader.Open(networkPath) as IDisposable;
        ILayerSource source = networkPath is null
            ? new SpDnn.Generation.ChallengeNetworkGenerator(neurons, first + layers)
            : (ILayerSource)disposable!;
        int end = Math.Min(first + layers, source.LayerCount);
        Console.WriteLine($"{source.Description}: layers {first + 1}..{end}, {repeat} repeats, one thread{(transpose ? ", planned from the transpose" : "")}");
        var cpu = StepNames.Select(_ => new List<double>()).ToArray();
        var wall = StepNames.Select(_ => new List<double>()).ToArray();
        var pack = new byte[64 << 20];
        NetworkLayer? doneWith = null;
        for (int r = 0; r <= repeat; r++)
        {
            DistinctRows? before = null;
            for (int k = first; k < end; k++)
            {
                var times = new (double Cpu, double Wall)[StepNames.Length];
                NetworkLayer layer = null!;
                PooledTiledLayer plan = null!;
                // As the engine does: the weights of a layer planned before are read into again.
                times[0] = Time(() => layer = GetLayer(source, k, doneWith, transpose));
                times[1] = Time(() => plan = TiledLayerPlanner.PlanPooled(layer, mergeDuplicates: false));
                times[2] = Time(() => _ = plan.ExactProductBounds);
                times[3] = Time(() => Pack(plan, pack));
                times[4] = Time(() => new OutputInputLists(layer, groupByFirstInput: true).Dispose());
                plan.Dispose();
                NetworkLayer distinct = null!;
                times[5] = Time(() =>
                {
                    using var lists = new OutputInputLists(layer, groupByFirstInput: false);
                    var rows = DistinctRows.Find(lists, layer.Bias);
                    distinct = DistinctRowsLayer.Create(layer, lists, before, rows);
                    before = rows;
                });
                times[6] = Time(() => TiledLayerPlanner.PlanPooled(distinct, mergeDuplicates: false).Dispose());
                doneWith = layer;
                if (r == 0) continue; // warm-up: JIT and tiering
                for (int s = 0; s < StepNames.Length; s++)
                {
                    cpu[s].Add(times[s].Cpu);
                    wall[s].Add(times[s].Wall);
                }
            }
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine("| step | best CPU ms | median CPU ms | median wall ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int s = 0; s < StepNames.Length; s++)
            Console.WriteLine(string.Create(c, $"| {StepNames[s]} | {cpu[s].Min() * 1e3:F2} | {Median(cpu[s]) * 1e3:F2} | {Median(wall[s]) * 1e3:F2} |"));
    }

    /// <summary>
    /// The same work on <paramref name="threads"/> threads at once, each layer on one of them (as
    /// the GPU plan's chunk planner does): wall time per layer times the threads is what one layer
    /// costs a core when all are busy (memory and page faults shared), beside the CPU time per layer.
    /// </summary>
    public static void RunParallel(string? networkPath, int neurons, int first, int layers, int repeat, int threads, bool transpose)
    {
        using var disposable = networkPath is null ? null : NetworkLoader.Open(networkPath) as IDisposable;
        ILayerSource source = networkPath is null
            ? new SpDnn.Generation.ChallengeNetworkGenerator(neurons, first + layers)
            : (ILayerSource)disposable!;
        int end = Math.Min(first + layers, source.LayerCount), count = end - first;
        Console.WriteLine($"{source.Description}: layers {first + 1}..{end}, {repeat} repeats, {threads} threads{(transpose ? ", planned from the transpose" : "")}");
        var doneWith = new System.Collections.Concurrent.ConcurrentBag<NetworkLayer>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        using var pack = new ThreadLocal<byte[]>(() => new byte[64 << 20]);
        var c = CultureInfo.InvariantCulture;
        for (int r = 0; r <= repeat; r++)
        {
            long cpuTicks = 0;
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, count, options, i =>
            {
                double cpuStart = ThreadCpuSeconds();
                var layer = GetLayer(source, first + i, doneWith.TryTake(out var recycled) ? recycled : null, transpose);
                using (var plan = TiledLayerPlanner.PlanPooled(layer, mergeDuplicates: false))
                {
                    _ = plan.ExactProductBounds;
                    Pack(plan, pack.Value!);
                }
                doneWith.Add(layer);
                Interlocked.Add(ref cpuTicks, (long)((ThreadCpuSeconds() - cpuStart) * 1e9));
            });
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Console.WriteLine(string.Create(c, $"{(r == 0 ? "warm-up" : $"run {r}")}: {seconds:F3} s for {count} layers: {seconds * 1e3 / count:F2} ms a layer, "
                + $"{seconds * 1e3 * threads / count:F2} ms of a thread a layer, CPU {cpuTicks * 1e-6 / count:F2} ms a layer"));
        }
    }

    /// <summary>Layer <paramref name="k"/> as <see cref="ChunkPlanner.PlanLayer"/> reads it: with its weights by output where the source has them, into the arrays of one done with.</summary>
    private static NetworkLayer GetLayer(ILayerSource source, int k, NetworkLayer? doneWith, bool transpose) => source switch
    {
        IOutputListLayerSource withOutputs when !transpose => withOutputs.GetLayerWithOutputs(k, doneWith),
        IRecyclingLayerSource recycling => recycling.GetLayer(k, doneWith?.Weights),
        _ => source.GetLayer(k),
    };

    /// <summary>What <see cref="LayerChunk.PackInto"/> does for one layout: each array copied into the chunk's buffer.</summary>
    private static void Pack(IChunkLayout plan, byte[] target)
    {
        int at = 0;
        for (int a = 1; a < ChunkArrays.Count; a++)
        {
            var bytes = plan.ArrayBytes(a);
            bytes.CopyTo(target.AsSpan(at));
            at += bytes.Length;
        }
    }

    private static (double Cpu, double Wall) Time(Action step)
    {
        double cpuStart = ThreadCpuSeconds();
        long start = Stopwatch.GetTimestamp();
        step();
        return (ThreadCpuSeconds() - cpuStart, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>This thread's CPU time (Linux: CLOCK_THREAD_CPUTIME_ID; elsewhere the process's).</summary>
    private static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        _ = ClockGetTime(ThreadCpuClock, out var time);
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    private const int ThreadCpuClock = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
