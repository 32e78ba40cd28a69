using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Planning off the critical path (<see cref="GpuPlan"/>): the plan returns once its first chunk
/// is on the device, the run starts on it while later chunks are still being planned, and the
/// answer is bit-identical to the reference's; a failure in a later chunk surfaces in the run.
/// </summary>
public sealed class GpuPlanPipelineTests
{
    private const int Neurons = 96, Layers = 6;

    private static readonly RandomNetworkOptions Shape = new() { Neurons = Neurons, Layers = Layers, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };

    private static readonly ImageBatch Images = RandomNetworkGenerator.RandomImages(9, 24, Neurons, 0.3, 2f, binary: false);

    private static GpuEngine Engine() => new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, LayersPerChunk = 2 });

    /// <summary>A network whose layers from <see cref="HeldFrom"/> on are given only once <see cref="Release"/> is called (or that fail then).</summary>
    private sealed class GatedNetwork(InMemoryNetwork inner, Exception? failure = null) : ILayerSource
    {
        private readonly ManualResetEventSlim _open = new();

        public const int HeldFrom = 2;

        public int Requested;

        public int Neurons => inner.Neurons;
        public int LayerCount => inner.LayerCount;
        public string Description => "gated network";

        public void Release() => _open.Set();

        public NetworkLayer GetLayer(int index)
        {
            if (index >= HeldFrom)
            {
                Interlocked.Increment(ref Requested);
                _open.Wait();
                if (failure is not null) throw failure;
            }
            return inner.GetLayer(index);
        }
    }

    /// <summary>Reports synchronously (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class OnLayer(Action<int> action) : IProgress<int>
    {
        public void Report(int value) => action(value);
    }

    [Fact]
    public void TheRunStartsOnTheFirstChunkWhileLaterOnesArePlannedAndGivesTheReferenceBits()
    {
        var inner = InMemoryNetwork.Load(new RandomNetworkGenerator(9, Shape));
        var expected = EngineConformanceTests.RunReference(inner, Images);
        Assert.NotEmpty(expected.Categories);
        var network = new GatedNetwork(inner);
        using var engine = Engine();
        try
        {
            using var plan = (GpuPlan)engine.Plan(network, InferenceOptions.Default);
            // Returned with layers 3.. not yet given out: planning goes on after the constructor.
            Assert.False(plan.IsComplete);
            Assert.Equal(3, plan.ChunkCount);
            int layersDone = 0;
            // The gate opens only once the run has computed the first chunk's layers.
            var options = new InferenceOptions
            {
                KeepFinalFeatures = true,
                Progress = new OnLayer(done =>
                {
                    layersDone = Math.Max(layersDone, done);
                    if (done >= GatedNetwork.HeldFrom) network.Release();
                }),
            };
            var actual = engine.Execute(plan, Images, options);
            Assert.True(plan.IsComplete);
            Assert.Equal(Layers, layersDone);
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
            Assert.Equal(expected.Weights, actual.Weights);
            Assert.True(actual.PlanWaitSeconds > 0);
            Assert.True(actual.PlanWaitSeconds <= actual.InferenceSeconds);

            // A second run on the complete plan waits for nothing and gives the same bits.
            var again = engine.Execute(plan, Images, options with { Progress = null });
            Assert.Equal(0, again.PlanWaitSeconds);
            Assert.True(actual.FinalFeatures!.ContentEquals(again.FinalFeatures!));
        }
        finally
        {
            network.Release();
        }
    }

    [Fact]
    public void AFailureInALaterChunkSurfacesInTheRun()
    {
        var inner = InMemoryNetwork.Load(new RandomNetworkGenerator(9, Shape));
        var network = new GatedNetwork(inner, new SpDnnDataException("layers.bin", "damaged layer 3"));
        using var engine = Engine();
        try
        {
            using var plan = engine.Plan(network, InferenceOptions.Default);
            network.Release();
            var error = Assert.Throws<AggregateException>(() => engine.Execute(plan, Images, InferenceOptions.Default));
            Assert.IsType<SpDnnDataException>(error.Flatten().InnerExceptions[0]);
        }
        finally
        {
            network.Release();
        }
    }

    [Fact]
    public void OneLayerAChunkGivesTheReferenceBits()
    {
        // Every layer a chunk of its own; all layers in one chunk is the default every other
        // simulator test runs (GpuEngineTests), two a chunk the tests above.
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(9, Shape));
        var options = new InferenceOptions { KeepFinalFeatures = true };
        using var one = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, LayersPerChunk = 1 });
        var a = one.Infer(network, Images, options);
        var expected = EngineConformanceTests.RunReference(network, Images);
        Assert.Equal(expected.Categories, a.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(a.FinalFeatures!));
    }
}
