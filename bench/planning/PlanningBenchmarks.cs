using BenchmarkDotNet.Attributes;
using SpDnn.Engines.Gpu;
using SpDnn.Model;

namespace SpDnn.Bench.Planning;

/// <summary>The steps of planning one layer for the GPU engine, each timed on its own.</summary>
[MemoryDiagnoser]
public class PlanningBenchmarks
{
    private PlanningCase _case = null!;
    private NetworkLayer _layer = null!;

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    /// <summary>All cases, or those named (comma-separated) in SPDNN_PLANNING_CASES.</summary>
    public static IEnumerable<string> Cases =>
        Environment.GetEnvironmentVariable("SPDNN_PLANNING_CASES")?.Split(',') ?? PlanningCase.Names;

    [GlobalSetup]
    public void Setup()
    {
        _case = PlanningCase.Create(Case);
        // The first GetLayer draws the block's permutation; later calls (the ones timed) reuse it.
        _layer = _case.GetLayer();
    }

    [Benchmark]
    public NetworkLayer GetLayer() => _case.GetLayer();

    [Benchmark]
    public CsrMatrix Transpose() => _layer.Weights.Transpose();

    // The plan is returned as object (TiledLayer is internal to the library) so the work is not elided.
    [Benchmark]
    public object PlanClustered() => TiledLayerPlanner.Plan(_layer, clusterOutputs: true);

    [Benchmark]
    public object PlanConsecutive() => TiledLayerPlanner.Plan(_layer, clusterOutputs: false);
}
