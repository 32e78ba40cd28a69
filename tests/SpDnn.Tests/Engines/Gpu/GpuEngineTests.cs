using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>The common engine contract, with the real kernels run on ILGPU's CPU simulator; the layer program's tiled kernel for every layer (ResidentInputEngineTests covers the other full-width kernel).</summary>
public sealed class GpuEngineTests : EngineConformanceTests
{
    // Collapses wherever rows settle (the default's size rule would leave these small networks alone).
    protected override IInferenceEngine CreateEngine() =>
        new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, CollapseWherePays = false });

    // The simulator is far slower than the real device: fewer seeds than the fast engines.
    protected override int RandomSeeds => 4;

    protected override int RandomImages => 32;

    private static GpuEngine Simulator(long budget = 0, WeightResidency weights = WeightResidency.Auto) =>
        new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, DeviceMemoryBudget = budget, Weights = weights, CollapseWherePays = false });

    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    /// <summary>64 neurons, 9 layers, mostly negative biases: on random images rows die over several layers.</summary>
    private static InMemoryNetwork RowsDieOverLayers()
    {
        var shape = new RandomNetworkOptions { Neurons = 64, Layers = 9, MeanRowNonZeros = 6, DyadicValues = true, MinWeight = -1f, MaxWeight = 0.5f, MinBias = -0.75f, MaxBias = 0.25f };
        return InMemoryNetwork.Load(new RandomNetworkGenerator(36, shape));
    }

    [Fact]
    public void IdenticalRowsAreComputedOnceAndStillReportedPerImage()
    {
        var shape = new RandomNetworkOptions { Neurons = 96, Layers = 6, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(21, shape));
        var distinct = RandomNetworkGenerator.RandomImages(21, 12, shape.Neurons, 0.3, 2f, binary: false);
        // Every image three times, interleaved, so duplicates sit in different tiles.
        var images = RepeatedImages.Interleaved(distinct, 3);
        var expected = RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = Simulator();
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.NotEqual("0", actual.Details["collapses"]);
        Assert.Contains(actual.LayerStatistics, s => s.DistinctRows >= 0 && s.DistinctRows <= s.LiveImages / 3);

        // By default rows this small (36 of 96 floats, 6 layers) are never merged (decided where
        // they settle: too few layers left to pay for even one merge): the same answer.
        using var byDefault = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled });
        var unmerged = byDefault.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, unmerged.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(unmerged.FinalFeatures!));
        Assert.Equal("0", unmerged.Details["collapses"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckpointsReadWhileTheNextLaunchRunsGiveTheSameAnswer(bool lagged)
    {
        // Rows die over several layers (checkpoints every layer, grids sized by a bound one
        // checkpoint old when lagged) and repeated images merge (a merge attempt waits for the
        // rows of its own layer): the reference's answer, live counts and features either way.
        var network = RowsDieOverLayers();
        var images = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(36, 160, network.Neurons, 0.3, 2f, binary: false), 2);
        var expected = RunReference(network, images);
        var live = expected.LayerStatistics.Select(s => s.LiveImages).ToArray();
        Assert.True(live.Distinct().Count() >= 4, "rows die over several layers");
        Assert.NotEmpty(expected.Categories);

        using var engine = new GpuEngine(new GpuEngineOptions
        {
            Accelerator = GpuAcceleratorChoice.CpuSimulator,
            Kernel = FullWidthKernel.Tiled,
            SimulatedMultiprocessors = 3,
            CollapseWherePays = false,
            LaggedCheckpoints = lagged,
        });
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(live, actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.NotEqual("0", actual.Details["collapses"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OutputsEqualByConstructionAreComputedOnceWithTheReferenceResult(bool fusedProducts)
    {
        // Layers of output families sharing one input list, some with other weights or another
        // bias (which must not merge), one family larger than a thread's copies, some outputs
        // without inputs. Dyadic weights: the fused path; others: the rounded one. 600 outputs:
        // the full layout has three blocks, the merged one a single block.
        var network = DuplicateFamilyNetwork.Create(600, 5, 42, fusedProducts);
        // 20 distinct images three times over: 60 live rows (four tiles) until the engine
        // collapses them to 20 (two tiles). With three simulated multiprocessors, auto takes the
        // merged layout while three or more tiles are live and the full one after the collapse.
        var images = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(42, 20, 600, 0.3, 2f, binary: false), 3);
        var expected = RunReference(network, images);
        Assert.Equal(60, expected.LayerStatistics[0].LiveImages);
        Assert.NotEmpty(expected.Categories);

        // Unmerged (Off) once, on the rounded products: unmerged fused products are any dyadic
        // network's path (MatchesReferenceExactlyOnDyadicRandomNetworks).
        var merges = fusedProducts ? new[] { DuplicateOutputMerge.On, DuplicateOutputMerge.Auto } : [DuplicateOutputMerge.Off, DuplicateOutputMerge.On, DuplicateOutputMerge.Auto];
        foreach (var merge in merges)
        {
            using var engine = new GpuEngine(new GpuEngineOptions
            {
                Accelerator = GpuAcceleratorChoice.CpuSimulator,
                Kernel = FullWidthKernel.Tiled,
                MergeDuplicateOutputs = merge,
                // One row per output: merging is measured on the full layout (distinct rows would
                // leave one output per family, nothing to merge; DistinctRowsTests cover those).
                Rows = FeatureRows.All,
                CollapseWherePays = false, // rows merged wherever they settle, small as they are
                SimulatedMultiprocessors = merge == DuplicateOutputMerge.Auto ? 3 : 1,
                // Merged layouts streamed too: their copy tables pass through page-locked memory.
                Weights = merge == DuplicateOutputMerge.On ? WeightResidency.Streamed : WeightResidency.Auto,
                LayersPerChunk = merge == DuplicateOutputMerge.On ? 2 : 32,
            });
            var actual = engine.Infer(network, images, Keep);
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
            Assert.Contains(actual.LayerStatistics, s => s.DistinctRows is >= 1 and <= 2 * LayerKernel.Tile);
            double share = double.Parse(actual.Details["computedShare"], System.Globalization.CultureInfo.InvariantCulture);
            if (merge == DuplicateOutputMerge.On) Assert.Equal("3", actual.Details["streamedChunks"]);
            if (merge == DuplicateOutputMerge.Off) Assert.Equal(1.0, share);
            else Assert.InRange(share, 0.01, 0.5);
        }
    }

    [Fact]
    public void ImagesThatDoNotFitRunInBatchesWithTheSameResult()
    {
        var shape = new RandomNetworkOptions { Neurons = 128, Layers = 5, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(8, shape));
        var images = RandomNetworkGenerator.RandomImages(8, 30, shape.Neurons, 0.2, 2f, binary: false);
        var once = RunReference(network, images);
        // The plan's size, planned without a run: the budget below leaves room for 8 images.
        using var whole = Simulator();
        long planBytes = PlanBytes(whole, network);
        long perImage = GpuBatchRun.DeviceBytes(2, shape.Neurons, shape.Layers) - GpuBatchRun.DeviceBytes(1, shape.Neurons, shape.Layers);

        using var small = Simulator(planBytes + 8 * perImage, WeightResidency.Resident);
        var batched = small.Infer(network, images, Keep);
        Assert.Equal("4", batched.Details["batches"]);
        Assert.Equal(once.Categories, batched.Categories);
        Assert.True(once.FinalFeatures!.ContentEquals(batched.FinalFeatures!));
        Assert.Equal(once.LayerStatistics.Select(s => s.LiveImages), batched.LayerStatistics.Select(s => s.LiveImages));
    }

    [Fact]
    public void RunsAgainOfOnePlanGiveTheReferenceResultEachWithItsOwnCounts()
    {
        // A plan runs any number of times: a later call must not see an earlier one's rows, live
        // lists or collapses (each image three times over, so that every call collapses rows).
        var shape = new RandomNetworkOptions { Neurons = 96, Layers = 6, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(23, shape));
        var first = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(23, 12, shape.Neurons, 0.3, 2f, binary: false), 3);
        var second = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(24, 12, shape.Neurons, 0.3, 2f, binary: false), 3);
        var expected = RunReference(network, second);
        Assert.NotEmpty(expected.Categories);

        using var engine = Simulator();
        using var plan = engine.Plan(network, Keep);
        var before = engine.Execute(plan, first, Keep);
        Assert.NotEqual("0", before.Details["collapses"]);
        var runs = new[] { engine.Execute(plan, second, Keep), engine.Execute(plan, second, Keep) };
        foreach (var again in runs)
        {
            Assert.Equal(expected.Categories, again.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(again.FinalFeatures!));
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), again.LayerStatistics.Select(s => s.LiveImages));
        }
        // The plan is whole for both (the first run of a plan may meet it being made, which moves
        // its checkpoints): the same attempts, counted from zero in each.
        Assert.Equal(runs[0].LayerStatistics.Select(s => s.DistinctRows), runs[1].LayerStatistics.Select(s => s.DistinctRows));
        Assert.NotEqual("0", runs[0].Details["collapses"]);
        Assert.Equal(runs[0].Details["collapses"], runs[1].Details["collapses"]);
        Assert.Equal(runs[0].Details["checkpoints"], runs[1].Details["checkpoints"]);
        // The first run waited for the whole plan, so the later uploads met no planning beside them.
        Assert.All(runs, r => Assert.Equal("yes", r.Details["planCompleteAtUpload"]));
        Assert.All(runs, r => Assert.InRange(int.Parse(r.Details["uploadGen2Collections"], System.Globalization.CultureInfo.InvariantCulture), 0, 1000));
    }

    /// <summary>The device bytes of the engine's plan of the network, planned without a run.</summary>
    private static long PlanBytes(GpuEngine engine, InMemoryNetwork network)
    {
        using var plan = (GpuPlan)engine.Plan(network, Keep);
        plan.WaitComplete();
        return plan.DeviceBytes;
    }

    [Fact]
    public void ManyGroupsAndStreamedChunksGiveTheReferenceResult()
    {
        // Three simulated multiprocessors: launches of up to three groups that meet at the grid
        // barrier and split the compaction; chunks of three layers streamed through two slots
        // (seven layers: three chunks, the third back in the first slot, and shorter).
        var shape = new RandomNetworkOptions { Neurons = 200, Layers = 7, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(31, shape));
        var images = RandomNetworkGenerator.RandomImages(31, 40, shape.Neurons, 0.3, 2f, binary: false);
        var expected = RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = new GpuEngine(new GpuEngineOptions
        {
            Accelerator = GpuAcceleratorChoice.CpuSimulator,
            Kernel = FullWidthKernel.Tiled,
            SimulatedMultiprocessors = 3,
            LayersPerChunk = 3,
            Weights = WeightResidency.Streamed,
        });
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal("3", actual.Details["streamedChunks"]);
        Assert.Equal("0", actual.Details["residentBytes"]);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(LayerProgram.MaxInGroupRows)]
    public void ManyRowsAreCompactedByAllGroupsThenFewRowsByEachGroupAlone(int inGroupRows)
    {
        // Above inGroupRows live rows the groups split the compaction between them (three grid
        // barriers a layer); at or below it every group compacts the whole list itself (one
        // barrier) and the groups share the writing of the lists for the host. 320 images, more
        // than a group's 256 threads for seven layers, then 66 and 60: with 100, both ways within
        // one launch; with the default, every layer compacts in the group, 8 positions a thread.
        var network = RowsDieOverLayers();
        var images = RandomNetworkGenerator.RandomImages(36, 320, network.Neurons, 0.3, 2f, binary: false);
        var expected = RunReference(network, images);
        var live = expected.LayerStatistics.Select(s => s.LiveImages).ToArray();
        Assert.Contains(live, n => n > LayerProgram.GroupSize);
        Assert.Contains(live, n => n > 0 && n <= 100);
        Assert.NotEmpty(expected.Categories);

        using var engine = new GpuEngine(new GpuEngineOptions
        {
            Accelerator = GpuAcceleratorChoice.CpuSimulator,
            Kernel = FullWidthKernel.Tiled,
            SimulatedMultiprocessors = 3,
            CollapseIdenticalRows = false,
            GroupCompactionRows = inGroupRows,
            BarrierReleaseWord = inGroupRows != 100, // both ways of waiting at the grid barrier
        });
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(live, actual.LayerStatistics.Select(s => s.LiveImages));
    }

    [Fact]
    public void WeightsBeyondTheMemoryBudgetAreStreamedFromHostMemory()
    {
        var shape = new RandomNetworkOptions { Neurons = 160, Layers = 12, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(32, shape));
        var images = RandomNetworkGenerator.RandomImages(32, 24, shape.Neurons, 0.3, 2f, binary: false);
        var options = new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, LayersPerChunk = 2 };
        var all = RunReference(network, images);
        // The size of the plan with every chunk resident, planned without a run.
        using var resident = new GpuEngine(options with { Weights = WeightResidency.Resident });
        long planBytes = PlanBytes(resident, network);

        // Room for about a third of the weights next to two streaming slots: the first chunks stay, the others stream.
        using var tight = new GpuEngine(options with { DeviceMemoryBudget = planBytes * 6 / 5 });
        var streamed = tight.Infer(network, images, Keep);
        Assert.NotEqual("0", streamed.Details["streamedChunks"]);
        Assert.NotEqual("0", streamed.Details["residentBytes"]);
        Assert.Equal(all.Categories, streamed.Categories);
        Assert.True(all.FinalFeatures!.ContentEquals(streamed.FinalFeatures!));
        Assert.Equal(all.LayerStatistics.Select(s => s.LiveImages), streamed.LayerStatistics.Select(s => s.LiveImages));
    }

    [Fact]
    public void TimingEachLayerKeepsTheResultAndTimesEveryLayerThatRan()
    {
        var shape = new RandomNetworkOptions { Neurons = 64, Layers = 4, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(33, shape));
        var images = RandomNetworkGenerator.RandomImages(33, 20, shape.Neurons, 0.3, 2f, binary: false);
        var expected = RunReference(network, images);
        using var engine = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Tiled, TimeEachLayer = true });
        var actual = engine.Infer(network, images);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.Equal(shape.Layers.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["launches"]);
        Assert.All(actual.LayerStatistics.Where(s => s.LiveImages > 0), s => Assert.True(s.Seconds > 0));
    }

    [Fact]
    public void ATileWithOneLiveRowTakesTheSingleRowPathExactly()
    {
        // 17 images: a full tile and a tile of one; 600 neurons with long rows: footprints of
        // several stages, so the single-row path runs over stage boundaries too.
        var shape = new RandomNetworkOptions { Neurons = 600, Layers = 3, MeanRowNonZeros = 40, DyadicValues = true, MinWeight = -0.5f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(34, shape));
        var images = RandomNetworkGenerator.RandomImages(34, 17, shape.Neurons, 0.3, 2f, binary: false);
        var expected = RunReference(network, images);
        using var engine = Simulator();
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(17, expected.LayerStatistics[0].LiveImages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABatchWhoseGroupsCannotAllBeResidentIsRerunWithFewerGroups(bool releaseWord)
    {
        // One simulated multiprocessor runs one group at a time; launching two makes the first
        // wait at the grid barrier for a group that cannot start until it ends. With lagged
        // checkpoints (the default) the next launch is queued before the host reads the failure:
        // it must end too (each launch claims its own poison; it hung when the flag was the claim).
        var shape = new RandomNetworkOptions { Neurons = 300, Layers = 3, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(35, shape));
        var images = RandomNetworkGenerator.RandomImages(35, 40, shape.Neurons, 0.3, 2f, binary: false);
        var expected = RunReference(network, images);
        using var engine = new GpuEngine(new GpuEngineOptions
        {
            Accelerator = GpuAcceleratorChoice.CpuSimulator,
            Kernel = FullWidthKernel.Tiled,
            ResidentGroupsOverride = 2,
            SimulatedBarrierPollLimit = 2000,
            BarrierReleaseWord = releaseWord,
        });
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("1", actual.Details["barrierRetries"]);
        Assert.Equal("1", actual.Details["residentGroups"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }
}
