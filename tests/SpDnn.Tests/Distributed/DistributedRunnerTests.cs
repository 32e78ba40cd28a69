using SpDnn.Distributed;
using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Engines;

namespace SpDnn.Tests.Distributed;

public sealed class DistributedRunnerTests
{
    private static readonly RandomNetworkOptions Shape = new() { Neurons = 96, Layers = 6, MeanRowNonZeros = 6, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.75f, MaxBias = 0.125f };

    private static DistributedJob Job(ImageBatch images, Func<ICommunicator, IInferenceEngine>? engine = null, IImageInput? input = null) => new()
    {
        OpenNetwork = () => new RandomNetworkGenerator(3, Shape),
        Images = input ?? ImageInput.WholeSet("random images", () => images),
        CreateEngine = engine ?? (_ => new ReferenceEngine()),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void EveryRankGetsTheSingleProcessResult(int ranks)
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(3, Shape));
        var images = RandomNetworkGenerator.RandomImages(3, 41, Shape.Neurons, 0.025, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        Assert.NotEqual(images.Count, expected.Categories.Length);

        var outcomes = ThreadRanks.Run(ranks, c => DistributedRunner.Run(c, Job(images)).Result);
        foreach (var (result, error) in outcomes)
        {
            Assert.Null(error);
            Assert.Equal(expected.Categories, result!.Categories);
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), result.LayerStatistics.Select(s => s.LiveImages));
            Assert.Equal(images.Count, result.Images);
            Assert.Equal(ranks.ToString(), result.Details["ranks"]);
            Assert.Equal(ranks, result.Details["rank seconds"].Split(',').Length);
            Assert.True(result.InferenceSeconds >= result.Details["rank seconds"].Split(',').Max(double.Parse) * (1 - 1e-3), "the job time is the slowest rank's");
        }
    }

    [Fact]
    public void MoreRanksThanImages()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(3, Shape));
        var images = RandomNetworkGenerator.RandomImages(5, 2, Shape.Neurons, 0.3, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        var outcomes = ThreadRanks.Run(4, c => DistributedRunner.Run(c, Job(images)).Result);
        Assert.All(outcomes, o => Assert.Equal(expected.Categories, o.Result!.Categories));
        Assert.All(outcomes, o => Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), o.Result!.LayerStatistics.Select(s => s.LiveImages)));
    }

    [Fact]
    public void RanksWithSlicingInputReadOnlyTheirSlice()
    {
        var images = RandomNetworkGenerator.RandomImages(3, 10, Shape.Neurons, 0.12);
        var input = new SlicingInput(images);
        var outcomes = ThreadRanks.Run(3, c => DistributedRunner.Run(c, Job(images, input: input)).Result);
        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal([(0, 3), (3, 3), (6, 4)], input.Ranges.Order());
        Assert.Equal("each rank read its slice", outcomes[0].Result!.Details["image input"]);
    }

    [Fact]
    public void OneRankWithABadFileFailsEveryRankWithItsMessage()
    {
        var images = RandomNetworkGenerator.RandomImages(3, 12, Shape.Neurons, 0.12);
        var outcomes = ThreadRanks.Run(3, c => DistributedRunner.Run(c, Job(images, input: ImageInput.WholeSet("images.tsv",
            () => c.Rank == 1 ? throw new SpDnnDataException("images.tsv", "expected 3 fields", 17) : images))));
        foreach (var (_, error) in outcomes)
        {
            var e = Assert.IsType<SpDnnDataException>(error);
            Assert.Equal("images.tsv:17: expected 3 fields (rank 1 of 3)", e.Message);
        }
    }

    [Fact]
    public void FailuresInPlanningOrInferenceEndEveryRankWithoutHanging()
    {
        var images = RandomNetworkGenerator.RandomImages(3, 12, Shape.Neurons, 0.12);
        var outcomes = ThreadRanks.Run(4, c => DistributedRunner.Run(c, Job(images, _ => c.Rank is 0 or 2 ? new FailingEngine() : new ReferenceEngine())));
        foreach (var (_, error) in outcomes)
        {
            var e = Assert.IsType<RankFailedException>(error);
            Assert.Equal("rank 0 of 4: InsufficientExecutionStackException: device out of memory; rank 2 failed too", e.Message);
        }
    }

    [Fact]
    public void RanksThatSeeDifferentImageCountsAreStopped()
    {
        var outcomes = ThreadRanks.Run(2, c => DistributedRunner.Run(c,
            Job(RandomNetworkGenerator.RandomImages(3, 10 + c.Rank, Shape.Neurons, 0.12))));
        Assert.All(outcomes, o => Assert.Contains("disagree on the number of images", Assert.IsType<RankFailedException>(o.Error).Message));
    }

    [Fact]
    public void FailureMessagesSurviveTheExchange()
    {
        var data = FailureAgreement.Decode([(0, FailureAgreement.Encode(new SpDnnDataException("a.bin", "truncated", byteOffset: 40)))], 1);
        Assert.Equal("a.bin (byte 40): truncated", Assert.IsType<SpDnnDataException>(data).Message);
        var other = FailureAgreement.Decode([(2, FailureAgreement.Encode(new OutOfMemoryException("no room")))], 3);
        Assert.Equal("rank 2 of 3: OutOfMemoryException: no room", other.Message);
        using var single = new SingleProcessCommunicator();
        FailureAgreement.ThrowIfAnyFailed(single, null);
        Assert.Equal("disk full", Assert.Throws<RankFailedException>(() => FailureAgreement.Run(single, () => throw new IOException("disk full."))).Message);
        var three = FailureAgreement.Decode([(0, "error\0a"), (1, "error\0b"), (3, "error\0c")], 4);
        Assert.Equal("rank 0 of 4: a; ranks 1, 3 failed too", three.Message);
    }

    [Fact]
    public void TheSingleProcessCommunicatorPassesTheCollectiveSelfCheck()
    {
        using var single = new SingleProcessCommunicator();
        Assert.Empty(CollectiveSelfCheck.Run(single));
        var outcomes = ThreadRanks.Run(4, CollectiveSelfCheck.Run);
        Assert.All(outcomes, o => Assert.Empty(o.Result!));
    }

    private sealed class SlicingInput(ImageBatch images) : IImageInput
    {
        public List<(int, int)> Ranges { get; } = [];
        public string Description => "sliceable";
        public bool ReadsOnlyItsSlice => true;
        public int? KnownCount => images.Count;
        public ImageBatch ReadAll() => throw new InvalidOperationException("must not read all");

        public ImageBatch ReadRange(int start, int count)
        {
            lock (Ranges) Ranges.Add((start, count));
            return images.Slice(start, count);
        }
    }

    private sealed class FailingEngine : IInferenceEngine
    {
        private readonly ReferenceEngine _inner = new();
        public string Name => "failing";
        public IEnginePlan Plan(ILayerSource network, InferenceOptions options) => _inner.Plan(network, options);
        public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options) =>
            throw new InsufficientExecutionStackException("device out of memory");
        public void Dispose() { }
    }
}
