using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines;

/// <summary>Tests that count the process's allocations: they run alone, after the parallel ones,
/// because GC.GetTotalAllocatedBytes also counts what other tests' threads allocate.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation counting (runs alone)";
}

[Collection(AllocationCollection.Name)]
public sealed class CpuEngineAllocationTests
{
    [Fact]
    public void LateLayersAllocateNothing()
    {
        // Converged rows: twice the layers must cost no more allocation than the per-layer statistics.
        var images = CpuEngineTests.Repeat(RandomNetworkGenerator.RandomImages(8, 12, 256, 0.5, 32f), copies: 3);
        using var engine = new CpuEngine();
        long AllocatedBy(int layers)
        {
            var network = CpuEngineTests.ChallengeLikeNetwork(neurons: 256, layers: layers, seed: 8);
            using var plan = engine.Plan(network, InferenceOptions.Default);
            engine.Execute(plan, images, InferenceOptions.Default);
            // The least of three runs: the count is the process's, and a thread left by another
            // test (a finishing planner, the JIT) only ever adds to one run's figure.
            long least = long.MaxValue;
            for (int run = 0; run < 3; run++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                var result = engine.Execute(plan, images, InferenceOptions.Default);
                least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                Assert.NotEmpty(result.Categories);
            }
            return least;
        }
        long short_ = AllocatedBy(40), long_ = AllocatedBy(240);
        long perLayer = (long_ - short_) / 200;
        Assert.True(perLayer <= 64, $"{perLayer} bytes allocated per extra layer ({short_} for 40 layers, {long_} for 240)");
    }
}
