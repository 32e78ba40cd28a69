using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Which layers count as padded (GpuPlan.TiledLayoutPads), the structure that sends a layer to the
/// resident-input kernel at any live count: random connectivity and distinct rows read in the
/// reference's order pad their tiled warps; the challenge's one-stage blocks do not.
/// </summary>
public sealed class TiledLayoutPaddingTests
{
    private static GpuPlan Plan(GpuEngine engine, ILayerSource source)
    {
        var plan = (GpuPlan)engine.Plan(InMemoryNetwork.Load(source), new InferenceOptions());
        plan.WaitComplete();
        return plan;
    }

    private static GpuEngine Engine() => new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Rows = FeatureRows.All });

    [Fact]
    public void ChallengeLayersInEveryRowAreNotPadded()
    {
        using var engine = Engine();
        using var plan = Plan(engine, new ChallengeNetworkGenerator(1024, 3));
        Assert.All(Enumerable.Range(0, 3), k => Assert.False(plan.TiledLayoutPads(k)));
        Assert.InRange(plan.PaddingRatio, 1.0, 1.01);
    }

    [Fact]
    public void RandomConnectivityIsPaddedAndHasTheResidentLayoutItRunsOn()
    {
        // Every output reads 32 random inputs of 2048: each block stages most inputs over several
        // stages, its lanes filling them unevenly.
        using var engine = Engine();
        using var plan = Plan(engine, new GeneralNetworkGenerator(2048, 2));
        Assert.All(Enumerable.Range(0, 2), k =>
        {
            Assert.True(plan.TiledLayoutPads(k));
            Assert.True(plan.HasResidentLayout(k));
        });
    }
}
