using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines;

public sealed class CpuEngineTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine();

    /// <summary>Every formulation and switch the engine has, each of which must give the reference's bits.</summary>
    public static TheoryData<string> Variants => ["auto", "sparse-input", "dense-tile", "auto-no-collapse", "dense-tile-no-collapse", "sparse-input-streamed", "auto-4-threads", "dense-tile-1-thread",
        "tiles", "tiles-sparse-input", "tiles-dense-tile-1-thread"];

    private static (CpuEngine Engine, InferenceOptions Options) Variant(string name, bool keep = true)
    {
        var options = name switch
        {
            "sparse-input" => new CpuEngineOptions { Formulation = CpuFormulation.SparseInput },
            "dense-tile" => new CpuEngineOptions { Formulation = CpuFormulation.DenseTile },
            "auto-no-collapse" => new CpuEngineOptions { CollapseIdenticalRows = false },
            "dense-tile-no-collapse" => new CpuEngineOptions { Formulation = CpuFormulation.DenseTile, CollapseIdenticalRows = false },
            "sparse-input-streamed" => new CpuEngineOptions { Formulation = CpuFormulation.SparseInput, PlanWindow = 2 },
            "dense-tile-1-thread" => new CpuEngineOptions { Formulation = CpuFormulation.DenseTile },
            "tiles" => new CpuEngineOptions { Order = CpuRunOrder.Tiles },
            "tiles-sparse-input" => new CpuEngineOptions { Order = CpuRunOrder.Tiles, Formulation = CpuFormulation.SparseInput },
            "tiles-dense-tile-1-thread" => new CpuEngineOptions { Order = CpuRunOrder.Tiles, Formulation = CpuFormulation.DenseTile },
            _ => new CpuEngineOptions(),
        };
        int threads = name switch { "auto-4-threads" => 4, "dense-tile-1-thread" or "tiles-dense-tile-1-thread" => 1, _ => 0 };
        return (new CpuEngine(options), new InferenceOptions { KeepFinalFeatures = keep, Threads = threads });
    }

    internal static void AssertSameAsReference(InferenceResult expected, InferenceResult actual, string context)
    {
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!), $"final rows differ: {context}");
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal(expected.Weights > 0 ? expected.Weights : actual.Weights, actual.Weights);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryVariantGivesTheReferenceBitsOnManyRandomNetworks(string variant)
    {
        var (engine, options) = Variant(variant);
        AssertReferenceBitsOnRandomNetworks(engine, options, variant, seeds: 30);
    }

    /// <summary>
    /// Small networks of many shapes: uneven and empty weight rows, both bias signs, dyadic and
    /// general values. The engine sums in the reference's order, so even general data must agree
    /// bit for bit.
    /// </summary>
    internal static void AssertReferenceBitsOnRandomNetworks(CpuEngine engine, InferenceOptions options, string variant, int seeds)
    {
        int survived = 0, died = 0;
        for (int seed = 0; seed < seeds; seed++)
        {
            bool dyadic = seed % 2 == 0;
            var shape = new RandomNetworkOptions
            {
                Neurons = 17 + 23 * (seed % 7),
                Layers = 1 + seed % 9,
                MeanRowNonZeros = 1 + seed % 10,
                EmptyRowFraction = 0.02 * (seed % 6),
                DyadicValues = dyadic,
                MinWeight = dyadic ? -1f : -0.3f,
                MaxWeight = 1f,
                MinBias = seed % 4 == 0 ? 0.0625f : -0.5f,
                MaxBias = seed % 4 == 1 ? -0.0625f : 0.375f,
            };
            var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed + 500, shape));
            var images = RandomNetworkGenerator.RandomImages(seed + 500, 1 + (seed * 7) % 45, shape.Neurons, 0.02 + 0.05 * (seed % 5), 3f, binary: seed % 3 == 0);
            var expected = RunReference(network, images);
            var actual = engine.Infer(network, images, options);
            AssertSameAsReference(expected, actual, $"{variant}, seed {seed}");
            if (expected.Categories.Length > 0) survived++;
            if (expected.Categories.Length < images.Count) died++;
        }
        Assert.True(survived >= seeds / 4 && died >= seeds / 4, $"{survived} networks kept images, {died} lost some: too one-sided to prove much");
    }

    [Fact]
    public void ManySeedsMatchTheReferenceBitForBit()
    {
        // The property test: hundreds of small random cases, each formulation chosen by density.
        using var engine = new CpuEngine();
        for (int seed = 0; seed < 300; seed++)
        {
            var shape = new RandomNetworkOptions
            {
                Neurons = 8 + seed % 61,
                Layers = 1 + seed % 6,
                MeanRowNonZeros = 1 + seed % 7,
                DyadicValues = seed % 3 != 0,
                MinWeight = -1f,
                MaxWeight = 1f,
                MinBias = -0.5f + 0.125f * (seed % 5),
                MaxBias = 0.5f,
            };
            var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed, shape));
            var images = RandomNetworkGenerator.RandomImages(seed, 1 + seed % 37, shape.Neurons, 0.05 + 0.1 * (seed % 4), 2f, binary: seed % 2 == 1);
            var expected = RunReference(network, images);
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
            AssertSameAsReference(expected, actual, $"seed {seed}");
        }
    }

    [Fact]
    public void IdenticalImagesCollapseToOneRowAndSaturateAtTheCap()
    {
        // A challenge-like network (32 weights of 1/16 per neuron, bias -0.3): images that
        // survive saturate at 32 and become one row; many copies of the same images too.
        var network = ChallengeLikeNetwork(neurons: 128, layers: 24, seed: 5);
        var distinctImages = RandomNetworkGenerator.RandomImages(5, 40, 128, 0.3);
        var images = Repeat(distinctImages, copies: 6);
        var expected = RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = new CpuEngine();
        var collapsed = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        AssertSameAsReference(expected, collapsed, "collapse on");
        Assert.All(collapsed.FinalFeatures!.Values, v => Assert.Equal(ChallengeSpec.YMax, v));
        Assert.Equal(1, collapsed.LayerStatistics[^1].DistinctRows);
        // Once one row is left, the row kernel (Vector512 tiles on AVX-512 machines) computes it.
        if (collapsed.Details["simd"] == "Vector512" && System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            Assert.True(long.Parse(collapsed.Details["row-kernel tiles"]) > 0);
        // After the first layer, six copies of each image are computed once.
        Assert.True(collapsed.LayerStatistics[0].DistinctRows is > 0 and <= 40, $"{collapsed.LayerStatistics[0].DistinctRows} distinct rows after layer 1");
        Assert.True(collapsed.LayerStatistics[0].LiveImages >= 6 * collapsed.LayerStatistics[0].DistinctRows - 5 * 40);

        using var plain = new CpuEngine(new CpuEngineOptions { CollapseIdenticalRows = false });
        var uncollapsed = plain.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        AssertSameAsReference(expected, uncollapsed, "collapse off");
        Assert.All(uncollapsed.LayerStatistics, s => Assert.Equal(-1, s.DistinctRows));
    }

    [Theory]
    [InlineData(4096, 6, 5, 4)]   // a few rows: one tile shared by all workers, split by output neurons
    [InlineData(16384, 3, 1, 3)]  // one row: the row kernel, split by output neurons
    public void FewRowsSplitAcrossWorkersMatchTheReference(int neurons, int layers, int count, int threads)
    {
        var network = ChallengeLikeNetwork(neurons, layers, seed: neurons);
        var images = RandomNetworkGenerator.RandomImages(neurons, count, neurons, 0.5, 32f);
        var expected = RunReference(network, images);
        using var engine = new CpuEngine();
        var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Threads = threads });
        AssertSameAsReference(expected, actual, $"N={neurons}, {count} images, {threads} threads");
        Assert.NotEmpty(actual.Categories);
    }

    [Fact]
    public void StreamingWithASmallWindowEqualsTheHeldPlans()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(21, new RandomNetworkOptions { Neurons = 96, Layers = 14, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f }));
        var images = RandomNetworkGenerator.RandomImages(21, 70, 96, 0.15, 2f, binary: false);
        using var held = new CpuEngine();
        using var streamed = new CpuEngine(new CpuEngineOptions { PlanWindow = 2 });
        using var heldPlan = held.Plan(network, InferenceOptions.Default);
        using var streamedPlan = streamed.Plan(network, InferenceOptions.Default);
        Assert.False(((CpuNetworkPlan)heldPlan).IsStreaming);
        Assert.True(((CpuNetworkPlan)streamedPlan).IsStreaming);
        var options = new InferenceOptions { KeepFinalFeatures = true };
        var a = held.Execute(heldPlan, images, options);
        var b = streamed.Execute(streamedPlan, images, options);
        var c = streamed.Execute(streamedPlan, images, options); // a streamed plan can run again
        Assert.Equal(a.Categories, b.Categories);
        Assert.True(a.FinalFeatures!.ContentEquals(b.FinalFeatures!));
        Assert.True(a.FinalFeatures!.ContentEquals(c.FinalFeatures!));
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(network.LayerCount, b.LayerStatistics.Count);
    }

    [Fact]
    public void SmallBatchesGiveTheSameResultAsOne()
    {
        var network = ChallengeLikeNetwork(neurons: 64, layers: 10, seed: 4);
        var images = Repeat(RandomNetworkGenerator.RandomImages(4, 25, 64, 0.4), copies: 2);
        using var whole = new CpuEngine();
        using var parts = new CpuEngine(new CpuEngineOptions { MaxBatchImages = 7, PlanWindow = 3 });
        var options = new InferenceOptions { KeepFinalFeatures = true };
        var a = whole.Infer(network, images, options);
        var b = parts.Infer(network, images, options);
        Assert.NotEmpty(a.Categories);
        Assert.Equal(a.Categories, b.Categories);
        Assert.True(a.FinalFeatures!.ContentEquals(b.FinalFeatures!));
        Assert.Equal(a.LayerStatistics.Select(s => s.LiveImages), b.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal("8", b.Details["batches"]);
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public void StreamedPlansAreBuiltOncePerRunWhateverTheBatches()
    {
        // Eight batches that never merge (the images stay alive): before, each batch had every
        // layer planned again (80 plans); the first batch's plans are now kept for the others.
        var network = ChallengeLikeNetwork(neurons: 64, layers: 10, seed: 4);
        var images = Repeat(RandomNetworkGenerator.RandomImages(4, 25, 64, 0.4), copies: 2);
        using var whole = new CpuEngine();
        using var parts = new CpuEngine(new CpuEngineOptions { MaxBatchImages = 7, PlanWindow = 3 });
        var options = new InferenceOptions { KeepFinalFeatures = true };
        var a = whole.Infer(network, images, options);
        var b = parts.Infer(network, images, options);
        Assert.Equal("8", b.Details["batches"]);
        Assert.True(a.FinalFeatures!.ContentEquals(b.FinalFeatures!));
        var built = b.Details["layer plans built in the run"].Split(' ');
        // Ten layers, and at most a window read ahead past where a batch stopped.
        Assert.InRange(int.Parse(built[0]), 10, 13);
        Assert.Equal("(0", built[1]);
        Assert.Equal("none (all held)", a.Details["layer plans built in the run"]);
        // One set of working rows for all eight batches.
        Assert.True(long.Parse(b.Details["working rows bytes"]) > 0);
    }

    [Fact]
    public void BatchesMergeOnceTheyHaveShrunkAndStillGiveTheSameResult()
    {
        // Nine in ten images are nearly empty and die in the first layers, so the first batch soon
        // falls under its share and all batches' survivors go on as one batch.
        var network = ChallengeLikeNetwork(neurons: 64, layers: 12, seed: 6);
        var dense = RandomNetworkGenerator.RandomImages(6, 12, 64, 0.5);
        var sparse = RandomNetworkGenerator.RandomImages(7, 108, 64, 0.02);
        var images = Interleave(dense, sparse);
        using var whole = new CpuEngine();
        using var parts = new CpuEngine(new CpuEngineOptions { MaxBatchImages = 40, PlanWindow = 3 });
        var options = new InferenceOptions { KeepFinalFeatures = true };
        var a = whole.Infer(network, images, options);
        var b = parts.Infer(network, images, options);
        Assert.NotEqual("none", b.Details["merged batches at layers"]);
        Assert.NotEmpty(a.Categories);
        Assert.Equal(a.Categories, b.Categories);
        Assert.True(a.FinalFeatures!.ContentEquals(b.FinalFeatures!));
        Assert.Equal(a.LayerStatistics.Select(s => s.LiveImages), b.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal(a.Weights, b.Weights);
    }

    /// <summary>One image of <paramref name="a"/> for every nine of <paramref name="b"/>, in turn.</summary>
    private static ImageBatch Interleave(ImageBatch a, ImageBatch b)
    {
        var offsets = new List<int> { 0 };
        var columns = new List<int>();
        var values = new List<float>();
        void Add(CsrMatrix m, int r)
        {
            columns.AddRange(m.RowIndices(r).ToArray());
            values.AddRange(m.RowValues(r).ToArray());
            offsets.Add(columns.Count);
        }
        for (int i = 0; i < a.Count; i++)
        {
            Add(a.Features, i);
            for (int j = 9 * i; j < Math.Min(b.Count, 9 * i + 9); j++) Add(b.Features, j);
        }
        return new ImageBatch(new CsrMatrix(offsets.Count - 1, a.Neurons, [.. offsets], [.. columns], [.. values]));
    }

    [Fact]
    public void StreamingSurfacesAPlanningError()
    {
        var good = new RandomNetworkGenerator(3, new RandomNetworkOptions { Neurons = 32, Layers = 6 });
        var broken = new BrokenAfter(good, failingLayer: 4);
        using var engine = new CpuEngine(new CpuEngineOptions { PlanWindow = 2 });
        var images = RandomNetworkGenerator.RandomImages(3, 10, 32, 0.3);
        var error = Assert.Throws<SpDnnDataException>(() => engine.Infer(broken, images));
        Assert.Contains("layer 5", error.Message);
    }

    [Fact]
    public void ExplicitImageNumbersAreReported()
    {
        var network = ChallengeLikeNetwork(neurons: 64, layers: 8, seed: 9);
        var dense = RandomNetworkGenerator.RandomImages(9, 30, 64, 0.5);
        var numbers = Enumerable.Range(0, 30).Select(i => 1000 + 3 * i).ToArray();
        var images = new ImageBatch(dense.Features, "numbered", imageNumbers: numbers);
        using var engine = new CpuEngine();
        var expected = RunReference(network, images);
        var actual = engine.Infer(network, images);
        Assert.NotEmpty(actual.Categories);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.All(actual.Categories, c => Assert.Contains(c, numbers));
    }

    [Theory]
    [InlineData("auto", 0, false)]
    [InlineData("sparse-input", 0, true)]
    [InlineData("dense-tile", 0, false)]
    [InlineData("dense-tile", 1, true)]
    [InlineData("sparse-input-streamed", 2, false)]
    public void OutputsEqualByConstructionComputedOnceGiveTheReferenceBits(string formulation, int threads, bool dyadic)
    {
        var network = DuplicateFamilyNetwork.Create(600, 6, 7, dyadic);
        var images = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(7, 20, 600, 0.3, 2f, binary: false), 3);
        var expected = RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        var options = formulation switch
        {
            "sparse-input" => new CpuEngineOptions { Formulation = CpuFormulation.SparseInput },
            "dense-tile" => new CpuEngineOptions { Formulation = CpuFormulation.DenseTile },
            "sparse-input-streamed" => new CpuEngineOptions { Formulation = CpuFormulation.SparseInput, PlanWindow = 2 },
            _ => new CpuEngineOptions(),
        };
        using var engine = new CpuEngine(options with { MergeDuplicateOutputs = true });
        var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Threads = threads });
        AssertSameAsReference(expected, actual, formulation);
    }

    [Fact]
    public void OutputsEqualByConstructionOfFewWideRowsSplitAcrossWorkersGiveTheReferenceBits()
    {
        // Thousands of distinct outputs with long lists and six dense rows: one tile with more
        // work than one thread takes alone, so two workers split its computed outputs, and each
        // row's values then spread to their copies from both parts.
        var network = DuplicateFamilyNetwork.Create(4096, 3, 3, dyadic: true, families: 900, listLength: 300);
        var images = RandomNetworkGenerator.RandomImages(3, 6, 4096, 0.6, 1f, binary: false);
        var expected = RunReference(network, images);
        using var engine = new CpuEngine(new CpuEngineOptions { Formulation = CpuFormulation.DenseTile, MergeDuplicateOutputs = true });
        var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Threads = 2 });
        AssertSameAsReference(expected, actual, "split dense tile");
        // Each part of a split tile counts as a dense tile: more than one per layer means split.
        Assert.True(int.Parse(actual.Details["dense-tile tiles"], System.Globalization.CultureInfo.InvariantCulture) > network.LayerCount,
            actual.Details["dense-tile tiles"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OfficialSubsetGivesTheOfficialCategories(bool mergeDuplicates)
    {
        // The exact N=1024 challenge network (generated) and the official first 1200 images.
        var network = new ChallengeNetworkGenerator(1024, 120);
        var images = ImageLoader.Load(TestData.Official("sparse-images-1024_subset.mtx"), 1024);
        var truth = CategoriesFile.Read(TestData.Official("neuron1024-l120-categories_subset.mtx"));
        using var engine = new CpuEngine(new CpuEngineOptions { PlanWindow = 4, MergeDuplicateOutputs = mergeDuplicates });
        var result = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        Assert.True(CategoryCheck.Compare(truth, result.Categories).Passed, CategoryCheck.Compare(truth, result.Categories).ToString());
        Assert.Equal(1098, result.LayerStatistics[0].LiveImages);
        // The survivors saturate and collapse into one row (challenge-spec: by layer 24-28).
        Assert.Equal(1, result.LayerStatistics[^1].DistinctRows);
        Assert.All(result.FinalFeatures!.Values, v => Assert.Equal(ChallengeSpec.YMax, v));
        Assert.Equal(1024, result.FinalFeatures.RowLength(0));
    }

    [Fact]
    public void ReportsFormulationsAndTheLiveSet()
    {
        var network = ChallengeLikeNetwork(neurons: 256, layers: 30, seed: 2);
        // Sparse inputs (2%) that fan out into dense rows: both formulations should be chosen.
        var images = Repeat(RandomNetworkGenerator.RandomImages(2, 50, 256, 0.02, 32f), copies: 2);
        using var engine = new CpuEngine();
        var result = engine.Infer(network, images);
        long dense = long.Parse(result.Details["dense-tile tiles"]), sparse = long.Parse(result.Details["sparse-input tiles"]);
        Assert.True(dense > 0 && sparse > 0, $"{dense} dense-tile and {sparse} sparse-input tiles: the density should call for both");
        Assert.All(result.LayerStatistics.Where(s => s.DistinctRows >= 0), s => Assert.InRange(s.DistinctRows, s.LiveImages > 0 ? 1 : 0, s.LiveImages));
        Assert.Equal(result.Categories.Length, result.LayerStatistics[^1].LiveImages);
    }

    /// <summary>
    /// A small network shaped like the challenge's: each layer connects neuron n to the 32
    /// neurons m with (n - m) mod M in {0, d} in each of 16 blocks of M = N/16 neurons, rows
    /// randomly permuted, weights 1/16, bias -0.3.
    /// </summary>
    internal static InMemoryNetwork ChallengeLikeNetwork(int neurons, int layers, int seed)
    {
        int m = neurons / 16, stages = Math.Max(1, (int)Math.Log2(m));
        var rng = new Random(seed);
        var result = new List<NetworkLayer>();
        for (int k = 0; k < layers; k++)
        {
            int d = 1 << (k % stages);
            var permutation = Enumerable.Range(0, neurons).OrderBy(_ => rng.Next()).ToArray();
            var rows = new List<int>(); var cols = new List<int>(); var vals = new List<float>();
            for (int n = 0; n < neurons; n++)
            {
                for (int block = 0; block < 16; block++)
                {
                    foreach (int shift in d % m == 0 ? [0] : new[] { 0, d })
                    {
                        rows.Add(permutation[n]);
                        cols.Add(block * m + ((n % m) - shift + m) % m);
                        vals.Add(ChallengeSpec.Weight);
                    }
                }
            }
            var w = CsrMatrix.FromCoordinates(neurons, neurons, rows.ToArray(), cols.ToArray(), vals.ToArray());
            result.Add(new NetworkLayer(k, w, NetworkLayer.ConstantBias(neurons, -0.3f)));
        }
        return new InMemoryNetwork(result, $"challenge-like N={neurons}");
    }

    internal static ImageBatch Repeat(ImageBatch images, int copies)
    {
        var f = images.Features;
        var offsets = new List<int> { 0 };
        var cols = new List<int>(); var vals = new List<float>();
        for (int c = 0; c < copies; c++)
        {
            for (int r = 0; r < f.Rows; r++)
            {
                cols.AddRange(f.RowIndices(r).ToArray());
                vals.AddRange(f.RowValues(r).ToArray());
                offsets.Add(cols.Count);
            }
        }
        return new ImageBatch(new CsrMatrix(f.Rows * copies, f.Columns, [.. offsets], [.. cols], [.. vals]));
    }

    private sealed class BrokenAfter(ILayerSource inner, int failingLayer) : ILayerSource
    {
        public int Neurons => inner.Neurons;
        public int LayerCount => inner.LayerCount;
        public string Description => "broken";
        public NetworkLayer GetLayer(int index) => index == failingLayer
            ? throw new SpDnnDataException("broken.tsv", $"layer {index + 1} is unreadable", 7)
            : inner.GetLayer(index);
    }
}
