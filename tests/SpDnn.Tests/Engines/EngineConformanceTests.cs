using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines;

/// <summary>
/// The contract every engine must meet, checked against the reference engine. Each engine's
/// test class derives from this one and says how to make the engine.
/// </summary>
public abstract class EngineConformanceTests
{
    protected abstract IInferenceEngine CreateEngine();

    /// <summary>Seeds of random general networks; engines slow in CI may use fewer.</summary>
    protected virtual int RandomSeeds => 40;

    protected virtual int RandomImages => 64;

    public static InferenceResult RunReference(ILayerSource network, ImageBatch images) =>
        new ReferenceEngine().Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });

    [Fact]
    public void MatchesReferenceExactlyOnDyadicRandomNetworks()
    {
        using var engine = CreateEngine();
        int withSurvivors = 0, withDeaths = 0;
        for (int seed = 0; seed < RandomSeeds; seed++)
        {
            var options = new RandomNetworkOptions
            {
                Neurons = 64 + 32 * (seed % 5),
                Layers = 3 + seed % 8,
                MeanRowNonZeros = 2 + seed % 12,
                DyadicValues = true,
                MinWeight = -1f,
                MaxWeight = seed % 2 == 0 ? 1f : 0.5f,   // odd seeds lean negative, so images die too
                MinBias = seed % 3 == 0 ? 0.0625f : -0.5f,
                MaxBias = seed % 3 == 1 ? -0.0625f : 0.25f,
            };
            var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed, options));
            var images = RandomNetworkGenerator.RandomImages(seed, RandomImages, options.Neurons, 0.05 + 0.03 * (seed % 6), 2f, binary: seed % 2 == 0);
            var expected = RunReference(network, images);
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!), $"final rows differ for seed {seed}");
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
            if (expected.Categories.Length > 0) withSurvivors++;
            if (expected.Categories.Length < images.Count) withDeaths++;
        }
        // The data must exercise both outcomes, or the comparison proves little.
        Assert.True(withSurvivors >= RandomSeeds / 3, $"only {withSurvivors} of {RandomSeeds} networks kept any image");
        Assert.True(withDeaths >= RandomSeeds / 3, $"only {withDeaths} of {RandomSeeds} networks lost any image");
    }

    [Fact]
    public void MatchesReferenceCloselyOnGeneralRandomNetworks()
    {
        using var engine = CreateEngine();
        for (int seed = 1000; seed < 1000 + RandomSeeds / 2; seed++)
        {
            var options = new RandomNetworkOptions { Neurons = 128, Layers = 8, MeanRowNonZeros = 6 + seed % 10 };
            var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed, options));
            var images = RandomNetworkGenerator.RandomImages(seed, RandomImages, options.Neurons, 0.1, 1f, binary: false);
            var expected = RunReference(network, images);
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
            // Summation order may differ in float32; values must stay close and categories agree
            // unless a row sits within rounding of zero, which these weights make vanishingly rare.
            Assert.Equal(expected.Categories, actual.Categories);
            AssertClose(expected.FinalFeatures!, actual.FinalFeatures!);
        }
    }

    [Fact]
    public void PositiveBiasIsAddedOnlyToNonZeroSums()
    {
        // 4 neurons; neuron 3 receives nothing, so its positive bias must not make it nonzero.
        var w = CsrMatrix.FromCoordinates(4, 4, [0, 1, 2], [0, 1, 2], [1f, 1f, -1f]);
        var layer = new NetworkLayer(0, w, [0.5f, 0.5f, 0.5f, 0.5f]);
        var network = new InMemoryNetwork([layer, layer with { Index = 1 }]);
        var images = new ImageBatch(CsrMatrix.FromCoordinates(3, 4, [0, 1, 2, 2], [0, 3, 2, 1], [1f, 7f, 1f, 40f]));
        using var engine = CreateEngine();
        var result = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        // image 1: 1 → 1.5 → 2.0; image 2: only neuron 3, which has no weights → dead;
        // image 3: neuron 2 → -1+0.5 → 0; neuron 1: 40 → 32 (capped) → 32 (32.5 capped).
        Assert.Equal([1, 3], result.Categories);
        var f = result.FinalFeatures!;
        Assert.Equal([0], f.RowIndices(0).ToArray());
        Assert.Equal([2f], f.RowValues(0).ToArray());
        Assert.Equal([1], f.RowIndices(1).ToArray());
        Assert.Equal([32f], f.RowValues(1).ToArray());
        Assert.Equal([2, 2], result.LayerStatistics.Select(s => s.LiveImages));
    }

    [Fact]
    public void EmptyAndAllDeadInputsGiveNoCategories()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(7, new RandomNetworkOptions { Neurons = 64, Layers = 3, MinBias = -4f, MaxBias = -3f }));
        var images = RandomNetworkGenerator.RandomImages(7, 20, 64, 0.02);
        using var engine = CreateEngine();
        var result = engine.Infer(network, images);
        Assert.Empty(result.Categories);
        Assert.Equal(3, result.LayerStatistics.Count);
        var none = engine.Infer(network, new ImageBatch(new CsrMatrix(0, 64, [0], [], [])));
        Assert.Empty(none.Categories);
    }

    [Fact]
    public void CategoriesAreOneBasedAndKeepTheSliceOffset()
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(3, new RandomNetworkOptions { Neurons = 64, Layers = 5, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f }));
        var images = RandomNetworkGenerator.RandomImages(3, 50, 64, 0.2);
        using var engine = CreateEngine();
        var whole = engine.Infer(network, images).Categories;
        var second = engine.Infer(network, images.Slice(20, 30)).Categories;
        Assert.Equal(whole.Where(c => c > 20), second);
        Assert.All(whole, c => Assert.InRange(c, 1, 50));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GeneralNetworksMatchTheReferenceBitForBitOrAreRefused(bool dyadic)
    {
        using var engine = CreateEngine();
        // At least three: both read-outs (every third seed reads nonzero rows), two to four layers.
        int seeds = Math.Max(3, RandomSeeds / 2), classReadOuts = 0, revived = 0;
        for (int seed = 0; seed < seeds; seed++)
        {
            var readOut = seed % 3 == 2 ? ReadOut.NonzeroRows : ReadOut.Class;
            var network = RandomGeneralNetwork.Create(seed, dyadic, readOut, layers: 2 + seed % 4);
            var images = RandomGeneralNetwork.Images(seed, RandomImages, network.Neurons, dyadic);
            var keep = new InferenceOptions { KeepFinalFeatures = true };
            if (!engine.RunsGeneralForm)
            {
                var refusal = Assert.Throws<NotSupportedException>(() => engine.Infer(network, images, keep));
                Assert.Contains("challenge's layer form", refusal.Message);
                return;
            }
            var expected = RunReference(network, images);
            var actual = engine.Infer(network, images, keep);
            Assert.Equal(expected.Categories, actual.Categories);
            Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!), $"final rows differ for seed {seed}");
            Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
            if (readOut == ReadOut.Class)
            {
                classReadOuts++;
                Assert.Equal(expected.Classes, actual.Classes);
                Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(images.Count * network.Outputs, actual.Logits!.Length);
            }
            else
            {
                Assert.Null(actual.Classes);
            }
            // Empty images that a bias added always brings back to life.
            if (expected.Categories.Length > images.Count - images.Count / 7) revived++;
        }
        Assert.True(classReadOuts > 0);
        Assert.True(revived > 0, "no network revived an empty image: the bias-always path went untested");
    }

    [Fact]
    public void BiasAddedAlwaysRevivesEmptyRowsAndTheClassIsTheFirstLargestOutput()
    {
        // 3 inputs -> 2 (ReLU, bias always) -> 3 (identity, bias always).
        // Image 1 is empty: relu(b1) = (0.5, 0), then (0.5, -0.5 + 0.25, 0.5): a tie of outputs 0 and 2, class 0.
        // Image 2 has input 1 = 1: (0.5, 1), then (0.5, -0.5 + 3 + 0.25, 0.5) = (0.5, 2.75, 0.5), class 1.
        // Image 3 has input 0 = 2: (2.5, 0), then (2.5, -2.25, 2.5), class 0.
        var w1 = CsrMatrix.FromCoordinates(3, 2, [0, 1], [0, 1], [1f, 2f]);
        var w2 = CsrMatrix.FromCoordinates(2, 3, [0, 0, 0, 1], [0, 1, 2, 1], [1f, -1f, 1f, 3f]);
        var network = new InMemoryNetwork(
        [
            new NetworkLayer(0, w1, [0.5f, -1f]) { Form = LayerForm.Relu(BiasMode.Always) },
            new NetworkLayer(1, w2, [0f, 0.25f, 0f]) { Form = LayerForm.Identity(BiasMode.Always) },
        ], readOut: ReadOut.Class);
        var images = new ImageBatch(CsrMatrix.FromCoordinates(3, 3, [1, 2], [1, 0], [1f, 2f]));
        using var engine = CreateEngine();
        if (!engine.RunsGeneralForm) return;
        var result = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        Assert.Equal([1, 2, 3], result.Categories);
        Assert.Equal([0, 1, 0], result.Classes!);
        Assert.Equal([0.5f, -0.25f, 0.5f, 0.5f, 2.75f, 0.5f, 2.5f, -2.25f, 2.5f], result.Logits!);
        Assert.Equal([3, 3], result.LayerStatistics.Select(s => s.LiveImages));
    }

    public static void AssertClose(CsrMatrix expected, CsrMatrix actual, float relative = 1e-4f)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        for (int r = 0; r < expected.Rows; r++)
        {
            var dense = new float[expected.Columns];
            var ei = expected.RowIndices(r); var ev = expected.RowValues(r);
            var ai = actual.RowIndices(r); var av = actual.RowValues(r);
            for (int e = 0; e < ei.Length; e++) dense[ei[e]] += ev[e];
            for (int e = 0; e < ai.Length; e++) dense[ai[e]] -= av[e];
            foreach (var d in dense) Assert.True(MathF.Abs(d) <= relative * ChallengeSpec.YMax, $"row {r} differs by {d}");
        }
    }
}
