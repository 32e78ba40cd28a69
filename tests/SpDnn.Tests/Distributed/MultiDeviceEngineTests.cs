using SpDnn.Distributed;
using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Engines;

namespace SpDnn.Tests.Distributed;

/// <summary>Three reference engines as uneven devices with a re-balance: the multi-device path must meet the whole engine contract.</summary>
public sealed class MultiDeviceEngineTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() =>
        new MultiDeviceEngine([new ReferenceEngine(), new ReferenceEngine(), new ReferenceEngine()], [1.0, 2.5, 0.5], rebalanceAfterLayer: 2);

    protected override int RandomSeeds => 9;

    public static TheoryData<int, double[]?, int> Layouts => new()
    {
        { 1, null, 0 },
        { 2, null, 0 },
        { 3, [3.0, 1.0, 1.0], 0 },
        { 4, [1.0, 0.0, 2.0, 1.0], 0 },   // a device with no share
        { 2, null, 1 },
        { 3, [1.0, 4.0, 2.0], 3 },
        { 5, null, 5 },
        { 3, null, 100 },                // beyond the last layer: no re-balance
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void GivesTheSingleEngineResultForAnySplit(int devices, double[]? weights, int rebalance)
    {
        for (int seed = 0; seed < 4; seed++)
        {
            var options = new RandomNetworkOptions { Neurons = 96, Layers = 6, MeanRowNonZeros = 4 + seed, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f };
            var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed, options));
            var images = RandomNetworkGenerator.RandomImages(seed, 37, options.Neurons, 0.1, 2f, binary: false);
            var expected = RunReference(network, images);
            using var engine = new MultiDeviceEngine([.. Enumerable.Range(0, devices).Select(_ => new ReferenceEngine())], weights, rebalance);
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!), $"final rows differ for seed {seed}");
            Assert.Equal(expected.LayerStatistics.Select(s => (s.Layer, s.LiveImages)), actual.LayerStatistics.Select(s => (s.Layer, s.LiveImages)));
            Assert.Equal(images.Count, actual.Images);
            Assert.Equal(expected.Weights, actual.Weights);
            Assert.Equal($"reference ({devices} devices)", actual.Engine);
        }
    }

    [Fact]
    public void MoreDevicesThanImagesAndNoImagesAtAll()
    {
        var options = new RandomNetworkOptions { Neurons = 64, Layers = 4, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = 0f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(5, options));
        var images = RandomNetworkGenerator.RandomImages(5, 3, 64, 0.3);
        using var engine = new MultiDeviceEngine([.. Enumerable.Range(0, 7).Select(_ => new ReferenceEngine())], rebalanceAfterLayer: 2);
        var expected = RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        Assert.Equal(expected.Categories, engine.Infer(network, images).Categories);

        var none = engine.Infer(network, new ImageBatch(new CsrMatrix(0, 64, [0], [], [])));
        Assert.Empty(none.Categories);
        Assert.Equal(4, none.LayerStatistics.Count);
        Assert.All(none.LayerStatistics, s => Assert.Equal(0, s.LiveImages));
    }

    [Fact]
    public void RebalanceEvensOutTheLiveImages()
    {
        // The first half of the images is empty (dead from the start): a static split leaves device 0 idle.
        var options = new RandomNetworkOptions { Neurons = 64, Layers = 5, MinBias = 0.0625f, MaxBias = 0.25f, MinWeight = 0.25f, MaxWeight = 1f, EmptyRowFraction = 0 };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(9, options));
        var dense = RandomNetworkGenerator.RandomImages(9, 20, 64, 0.3).Features;
        var offsets = new int[41];
        for (int r = 0; r < 20; r++) offsets[21 + r] = dense.RowOffsets[r + 1];
        var images = new ImageBatch(new CsrMatrix(40, 64, offsets, dense.ColumnIndices, dense.Values));

        var devices = new[] { new RecordingEngine(), new RecordingEngine() };
        using var engine = new MultiDeviceEngine(devices, rebalanceAfterLayer: 1);
        var result = engine.Infer(network, images);

        var expected = RunReference(network, images);
        Assert.Equal(expected.Categories, result.Categories);
        int liveAfterFirst = expected.LayerStatistics[0].LiveImages;
        Assert.True(liveAfterFirst >= 10, $"only {liveAfterFirst} images live after layer 1: the test data must keep most alive");
        // First pass: 20 images each (device 0's all dead); second pass: the live ones split evenly.
        Assert.Equal([20, liveAfterFirst / 2], devices[0].BatchSizes);
        Assert.Equal([20, liveAfterFirst - liveAfterFirst / 2], devices[1].BatchSizes);
        Assert.Contains("->", result.Details["rebalance"]);
    }

    [Fact]
    public void EachDevicePlansOnceAndProgressCountsLayersEveryDeviceFinished()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(2, new RandomNetworkOptions { Neurons = 64, Layers = 6 }));
        var images = RandomNetworkGenerator.RandomImages(2, 30, 64, 0.2);
        var devices = new[] { new RecordingEngine(), new RecordingEngine(), new RecordingEngine() };
        using var engine = new MultiDeviceEngine(devices, rebalanceAfterLayer: 4);
        var reports = new List<int>();
        var progress = new SynchronousProgress(reports);
        using var plan = engine.Plan(network, InferenceOptions.Default);
        engine.Execute(plan, images, new InferenceOptions { Progress = progress });
        engine.Execute(plan, images.Slice(5, 20), InferenceOptions.Default);
        Assert.All(devices, d => Assert.Equal([4, 2], d.PlannedLayers));
        Assert.Equal(6, reports[^1]);
        Assert.True(reports.SequenceEqual(reports.Order().Distinct()), $"progress went [{string.Join(",", reports)}]");
    }

    [Fact]
    public void ADeviceFailureSurfacesWithItsOwnType()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(2, new RandomNetworkOptions { Neurons = 64, Layers = 3 }));
        using var engine = new MultiDeviceEngine([new ReferenceEngine(), new RecordingEngine { FailWith = new SpDnnDataException("x.tsv", "broken", 7) }]);
        var e = Assert.Throws<SpDnnDataException>(() => engine.Infer(network, RandomNetworkGenerator.RandomImages(2, 10, 64)));
        Assert.Equal("x.tsv:7: broken", e.Message);
    }

    [Fact]
    public void RejectsBadWeightsAndForeignPlans()
    {
        Assert.Throws<ArgumentException>(() => new MultiDeviceEngine([new ReferenceEngine()], [0.0]));
        Assert.Throws<ArgumentException>(() => new MultiDeviceEngine([new ReferenceEngine(), new ReferenceEngine()], [1.0]));
        Assert.Throws<ArgumentException>(() => new MultiDeviceEngine([new ReferenceEngine()], [double.NaN]));
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(2, new RandomNetworkOptions { Neurons = 64, Layers = 2 }));
        using var reference = new ReferenceEngine();
        using var plan = reference.Plan(network, InferenceOptions.Default);
        using var engine = new MultiDeviceEngine([new ReferenceEngine()]);
        Assert.Throws<ArgumentException>(() => engine.Execute(plan, RandomNetworkGenerator.RandomImages(2, 4, 64), InferenceOptions.Default));
    }

    /// <summary>A reference engine that records what it was asked to plan and run.</summary>
    private sealed class RecordingEngine : IInferenceEngine
    {
        private readonly ReferenceEngine _inner = new();
        public List<int> PlannedLayers { get; } = [];
        public List<int> BatchSizes { get; } = [];
        public Exception? FailWith { get; init; }
        public string Name => "recording";

        public IEnginePlan Plan(ILayerSource network, InferenceOptions options)
        {
            lock (PlannedLayers) PlannedLayers.Add(network.LayerCount);
            return _inner.Plan(network, options);
        }

        public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
        {
            if (FailWith is not null) throw FailWith;
            lock (BatchSizes) BatchSizes.Add(images.Count);
            return _inner.Execute(plan, images, options);
        }

        public void Dispose() { }
    }

    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) { lock (reports) reports.Add(value); }
    }
}
