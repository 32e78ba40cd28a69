using System.Diagnostics;
using System.Text.Json;
using SpDnn.Engines.Gpu;

namespace SpDnn.Bench.Planning;

/// <summary>
/// The same steps timed by hand, with the process's CPU time beside the wall time: on a shared
/// machine CPU time shows the work when wall time shows the neighbours. Best and median of repeats.
/// </summary>
public static class CpuTimeRun
{
    public sealed record Step(string Case, string Name, double BestSeconds, double MedianSeconds, double BestCpuSeconds, double MedianCpuSeconds, double AllocatedMegabytes);

    public static IReadOnlyList<Step> Measure(IEnumerable<string> cases, int repeat)
    {
        var steps = new List<Step>();
        foreach (var name in cases)
        {
            var c = PlanningCase.Create(name);
            var layer = c.GetLayer();
            steps.Add(Time(name, "GetLayer", () => c.GetLayer(), repeat));
            steps.Add(Time(name, "Transpose", () => layer.Weights.Transpose(), repeat));
            steps.Add(Time(name, "PlanClustered", () => TiledLayerPlanner.Plan(layer, clusterOutputs: true), repeat));
            steps.Add(Time(name, "PlanConsecutive", () => TiledLayerPlanner.Plan(layer, clusterOutputs: false), repeat));
        }
        return steps;
    }

    private static Step Time(string caseName, string name, Func<object> step, int repeat)
    {
        GC.KeepAlive(step()); // warm-up: JIT and tiering
        var wall = new double[repeat];
        var cpu = new double[repeat];
        long allocated = 0;
        var process = Process.GetCurrentProcess();
        for (int r = 0; r < repeat; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long allocatedStart = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            GC.KeepAlive(step());
            wall[r] = watch.Elapsed.TotalSeconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedStart;
            process.Refresh();
            cpu[r] = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        }
        var result = new Step(caseName, name, wall.Min(), Median(wall), cpu.Min(), Median(cpu), allocated / 1e6);
        Console.Error.WriteLine($"{caseName,-16} {name,-16} best {result.BestSeconds * 1e3,9:F2} ms  cpu {result.BestCpuSeconds * 1e3,9:F2} ms  alloc {result.AllocatedMegabytes,8:F1} MB");
        return result;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Markdown(IReadOnlyList<Step> steps)
    {
        var lines = new List<string>
        {
            "| case | step | best ms | median ms | best CPU ms | median CPU ms | allocated MB |",
            "|---|---|---:|---:|---:|---:|---:|",
        };
        foreach (var s in steps)
            lines.Add($"| {s.Case} | {s.Name} | {s.BestSeconds * 1e3:F2} | {s.MedianSeconds * 1e3:F2} | {s.BestCpuSeconds * 1e3:F2} | {s.MedianCpuSeconds * 1e3:F2} | {s.AllocatedMegabytes:F1} |");
        return string.Join('\n', lines) + "\n";
    }

    public static string Json(IReadOnlyList<Step> steps) =>
        JsonSerializer.Serialize(steps, new JsonSerializerOptions { WriteIndented = true });
}
