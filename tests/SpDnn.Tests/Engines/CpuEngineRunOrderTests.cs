using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines;

/// <summary>The tile-by-tile order forced on every conformance network (the challenge-form ones too), with a partial last tile.</summary>
public sealed class CpuEngineTileOrderTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles });

    protected override int RandomSeeds => 24;

    protected override int RandomImages => 70;
}

/// <summary>The tile order with one and with four tiles per work item (the default shares weights between two).</summary>
public sealed class CpuEngineTileOrderSingleTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, TilesPerItem = 1 });

    protected override int RandomSeeds => 12;

    protected override int RandomImages => 70;
}

public sealed class CpuEngineTileOrderQuadTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, TilesPerItem = 4 });

    protected override int RandomSeeds => 12;

    protected override int RandomImages => 70;
}

/// <summary>The tile order with every layer's inputs cut into ranges of at most 7 (the wide layers' cache blocking), four tiles per item.</summary>
public sealed class CpuEngineTileOrderRangesTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, TilesPerItem = 4, MaxBlockInputs = 7 });

    protected override int RandomSeeds => 12;

    protected override int RandomImages => 70;
}

/// <summary>The layer-by-layer order forced, so general networks still run the sparse-row engine they ran before the tile order.</summary>
public sealed class CpuEngineLayerOrderTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Layers });

    protected override int RandomSeeds => 24;
}

public sealed class CpuRunOrderTests
{
    [Fact]
    public void AutoRunsSmallGeneralNetworksTileByTileAndTheChallengeFormLayerByLayer()
    {
        Assert.Equal(CpuRunOrder.Tiles, RunOrderChoice.Choose(CpuRunOrder.Auto, challengeForm: false, 4096, held: true, weightsFinite: true));
        Assert.Equal(CpuRunOrder.Layers, RunOrderChoice.Choose(CpuRunOrder.Auto, challengeForm: true, 4096, held: true, weightsFinite: true));
        Assert.Equal(CpuRunOrder.Layers, RunOrderChoice.Choose(CpuRunOrder.Auto, challengeForm: false, RunOrderChoice.MaxTileWidth + 1, held: true, weightsFinite: true));
        Assert.Equal(CpuRunOrder.Tiles, RunOrderChoice.Choose(CpuRunOrder.Tiles, challengeForm: true, 65536, held: true, weightsFinite: true));
        // What the tile order cannot run exactly or at all falls back, even when asked for.
        Assert.Equal(CpuRunOrder.Layers, RunOrderChoice.Choose(CpuRunOrder.Tiles, challengeForm: false, 100, held: false, weightsFinite: true));
        Assert.Equal(CpuRunOrder.Layers, RunOrderChoice.Choose(CpuRunOrder.Tiles, challengeForm: false, 100, held: true, weightsFinite: false));
        Assert.Equal(CpuRunOrder.Layers, RunOrderChoice.Choose(CpuRunOrder.Layers, challengeForm: false, 100, held: true, weightsFinite: true));
        Assert.Equal(2, RunOrderChoice.TilesPerItem(0, 784));
        Assert.Equal(4, RunOrderChoice.TilesPerItem(0, 4096));
        Assert.Equal(1, RunOrderChoice.TilesPerItem(1, 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => RunOrderChoice.TilesPerItem(3, 100));

        var general = RandomGeneralNetwork.Create(3, dyadic: false, ReadOut.Class);
        var images = RandomGeneralNetwork.Images(3, 40, general.Neurons, dyadic: false);
        var challenge = CpuEngineTests.ChallengeLikeNetwork(neurons: 64, layers: 6, seed: 3);
        using var engine = new CpuEngine();
        Assert.Equal("tiles", engine.Infer(general, images).Details["order"]);
        Assert.Equal("layers", engine.Infer(challenge, RandomNetworkGenerator.RandomImages(3, 40, 64, 0.2)).Details["order"]);
        using var streamed = new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, PlanWindow = 2 });
        Assert.Equal("layers", streamed.Infer(general, images).Details["order"]);
    }

    [Theory]
    [InlineData(CpuRunOrder.Tiles, CpuFormulation.Auto)]
    [InlineData(CpuRunOrder.Auto, CpuFormulation.SparseInput)]
    [InlineData(CpuRunOrder.Layers, CpuFormulation.DenseTile)]
    public void AnInfiniteWeightRunsRowByRowAndGivesTheReferenceBits(CpuRunOrder order, CpuFormulation formulation)
    {
        // Tiles multiply every weight by inputs that are zero in some lane: ∞·0 is NaN where the
        // reference, summing each row's own entries, adds nothing. Such a layer runs row by row
        // (the tile order, which holds rows densely, gives way to the layer order).
        var general = RandomGeneralNetwork.Create(5, dyadic: false, ReadOut.Class, layers: 3);
        var layers = Enumerable.Range(0, general.LayerCount).Select(general.GetLayer).ToList();
        var weights = layers[0].Weights;
        var values = (float[])weights.Values.Clone();
        for (int p = 0; p < values.Length; p += 7) values[p] = p % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity;
        layers[0] = layers[0] with { Weights = new CsrMatrix(weights.Rows, weights.Columns, weights.RowOffsets, weights.ColumnIndices, values) };
        var network = new InMemoryNetwork(layers, "infinite weights", ReadOut.Class);
        var images = RandomGeneralNetwork.Images(5, 50, network.Neurons, dyadic: false);
        var keep = new InferenceOptions { KeepFinalFeatures = true };
        var expected = EngineConformanceTests.RunReference(network, images);
        using var engine = new CpuEngine(new CpuEngineOptions { Order = order, Formulation = formulation });
        var actual = engine.Infer(network, images, keep);
        Assert.Equal("layers", actual.Details["order"]);
        Assert.True(long.Parse(actual.Details["exact-row tiles"]) > 0);
        CpuEngineTests.AssertSameAsReference(expected, actual, "infinite weights");
        Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(expected.Logits!, float.IsNaN); // the reference meets ∞ too: the rows that read it are NaN
        Assert.Contains(expected.Logits!, v => !float.IsNaN(v) && v != 0); // and the others are not
    }

    [Fact]
    public void PaddingReadsAZeroRowWhateverTheOtherRowsHold()
    {
        // Identity layers with huge positive weights fill tile rows with +∞ (never NaN: nothing
        // cancels), and the capped last layer turns +∞ into 1.5 but NaN into 0. The groups' padding
        // (weight +0) must read a row the run keeps zero: a row left over from another layer or
        // tile holding ∞ would make padded sums NaN (rows 4 and 6 are such leftovers here).
        var network = new InMemoryNetwork(
        [
            Layer(0, 4, 8, LayerForm.Identity(BiasMode.Always), j => j % 4 + 1, 3e38f),
            Layer(1, 8, 6, LayerForm.Identity(BiasMode.Always), j => j % 3 + 1, 1f),
            Layer(2, 6, 9, LayerForm.Identity(BiasMode.Always), j => j % 4 + 1, 0.5f),
            Layer(3, 9, 12, LayerForm.Identity(BiasMode.Always), j => j % 5 + 1, 3e38f),
            Layer(4, 12, 3, LayerForm.CappedRelu(1.5f, BiasMode.Always), j => j + 1, 1f),
        ], "padding probe", ReadOut.Class);
        var images = RandomGeneralNetwork.Images(11, 100, 4, dyadic: true);
        var keep = new InferenceOptions { KeepFinalFeatures = true, Threads = 1 };
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.Contains(float.PositiveInfinity, RowsAfter(network, images, 4).Values); // the probe really holds ∞
        using var engine = new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, Formulation = CpuFormulation.DenseTile });
        var actual = engine.Infer(network, images, keep);
        Assert.Equal("tiles", actual.Details["order"]);
        CpuEngineTests.AssertSameAsReference(expected, actual, "padding probe");
        Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ColumnGroupsInterleaveTheLongestColumnsFirstAndPadWithZeroWeights()
    {
        // Outputs (rows here): 0 reads inputs 1, 3; 1 reads 0, 2, 4; 2 reads nothing; 3 reads 4; 4 reads 0..3.
        var columns = CsrMatrix.FromCoordinates(5, 5,
            [0, 0, 1, 1, 1, 3, 4, 4, 4, 4], [1, 3, 0, 2, 4, 4, 0, 1, 2, 3], [0.5f, -1, 1, 2, 3, 7, 9, 8, 6, 5]);
        var groups = ColumnGroups.Build(columns, [10, 11, 12, 13, 14], inputs: 5);
        Assert.Equal(new[] { 4, 1, 0, 3, 2, 5, 5, 5 }, groups.Order);
        Assert.Equal(new[] { 0, 4, 4 }, groups.GroupSlots);
        Assert.Equal(new float[] { 14, 11, 10, 13, 12, 0, 0, 0 }, groups.GroupBias);
        int pad = 5 * CpuLayerPlan.TileWidth;
        int[] Tile(params int[] inputs) => [.. inputs.Select(i => i * CpuLayerPlan.TileWidth)];
        // Slot s: the s-th input of outputs 4, 1, 0, 3.
        int[] inputs = [.. Tile(0, 0, 1, 4), .. Tile(1, 2, 3), pad, .. Tile(2, 4), pad, pad, .. Tile(3), pad, pad, pad];
        float[] weights = [9, 1, 0.5f, 7, 8, 2, -1, 0, 6, 3, 0, 0, 5, 0, 0, 0];
        Assert.Equal(inputs, groups.SlotTileOffsets);
        Assert.Equal(weights, groups.SlotWeights);
    }

    [Fact]
    public void ColumnGroupsOfAWideLayerRunItsInputsInRangesEachSortedByItsOwnColumnLengths()
    {
        // The columns of the test above, inputs cut into ranges of at most 3: two ranges, 0..2 and 3..4.
        var columns = CsrMatrix.FromCoordinates(5, 5,
            [0, 0, 1, 1, 1, 3, 4, 4, 4, 4], [1, 3, 0, 2, 4, 4, 0, 1, 2, 3], [0.5f, -1, 1, 2, 3, 7, 9, 8, 6, 5]);
        var groups = ColumnGroups.Build(columns, [10, 11, 12, 13, 14], inputs: 5, maxBlockInputs: 3);
        Assert.Equal(2, groups.Blocks);
        Assert.Equal(new[] { 0, 3, 5 }, groups.BlockStarts);
        Assert.Equal(2, groups.Groups);
        // Range 0: parts of length 1, 2, 0, 0, 3; range 1: 1, 1, 0, 1, 1 (ties in output order).
        Assert.Equal(new[] { 4, 1, 0, 2, 3, 5, 5, 5, /* range 1 */ 0, 1, 3, 4, 2, 5, 5, 5 }, groups.Order);
        Assert.Equal(new[] { 0, 3, 3, 4, 4 }, groups.GroupSlots);
        Assert.Equal(new float[] { 14, 11, 10, 12, 13, 0, 0, 0, 10, 11, 13, 14, 12, 0, 0, 0 }, groups.GroupBias);
        int pad = 5 * CpuLayerPlan.TileWidth;
        int[] Tile(params int[] inputs) => [.. inputs.Select(i => i * CpuLayerPlan.TileWidth)];
        int[] inputs = [.. Tile(0, 0, 1), pad, .. Tile(1, 2), pad, pad, .. Tile(2), pad, pad, pad, /* range 1 */ .. Tile(3, 4, 4, 3)];
        float[] weights = [9, 1, 0.5f, 0, 8, 2, 0, 0, 6, 0, 0, 0, -1, 3, 7, 5];
        Assert.Equal(inputs, groups.SlotTileOffsets);
        Assert.Equal(weights, groups.SlotWeights);
        // By default: the shipped model's 784 inputs in one range (two tiles per item), a 4096-wide layer's in several (four).
        Assert.True(RunOrderChoice.MaxBlockInputs(0, RunOrderChoice.TilesPerItem(0, 784)) >= 784);
        Assert.True(RunOrderChoice.MaxBlockInputs(0, RunOrderChoice.TilesPerItem(0, 4096)) < 4096);
        Assert.Equal(7, RunOrderChoice.MaxBlockInputs(7, 4));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void InputsThatStayedZeroAreLeftOutOnlyOfTilesZeroOnThem(int threads)
    {
        // Layer 1's inputs 0..11 are dead neurons (bias -1000 under a ReLU) and the images' first
        // 10 features are zero in the tiles the run learns from (items 0 and 1: tiles 0..3), so
        // layers 0 and 1 get layouts without those inputs. Feature 3 turns nonzero from image 128
        // on: those tiles must run layer 0 whole (a layout without it would lose its products).
        var rng = new Random(5);
        NetworkLayer Dense(int index, int inputs, int outputs, LayerForm form, Func<int, float> bias)
        {
            var (rows, cols, values) = (new List<int>(), new List<int>(), new List<float>());
            for (int i = 0; i < inputs; i++)
                for (int j = 0; j < outputs; j++)
                    if (rng.Next(2) == 0)
                    {
                        rows.Add(i);
                        cols.Add(j);
                        values.Add((float)(rng.NextDouble() * 2 - 1));
                    }
            var weights = CsrMatrix.FromCoordinates(inputs, outputs, [.. rows], [.. cols], [.. values]);
            return new NetworkLayer(index, weights, [.. Enumerable.Range(0, outputs).Select(bias)]) { Form = form };
        }
        var network = new InMemoryNetwork(
        [
            Dense(0, 40, 30, LayerForm.Relu(BiasMode.Always), j => j < 12 ? -1000f : 0.1f),
            Dense(1, 30, 20, LayerForm.Relu(BiasMode.Always), _ => 0.05f),
            Dense(2, 20, 5, LayerForm.Identity(BiasMode.Always), _ => 0f),
        ], "dead inputs", ReadOut.Class);
        var (imageRows, features, pixels) = (new List<int>(), new List<int>(), new List<float>());
        for (int r = 0; r < 256; r++)
            for (int f = 0; f < 40; f++)
                if ((f >= 10 || (f == 3 && r >= 128 && r % 3 == 0)) && rng.Next(3) != 0)
                {
                    imageRows.Add(r);
                    features.Add(f);
                    pixels.Add((float)rng.NextDouble());
                }
        var images = new ImageBatch(CsrMatrix.FromCoordinates(256, 40, [.. imageRows], [.. features], [.. pixels]));
        var expected = EngineConformanceTests.RunReference(network, images);
        var options = new InferenceOptions { KeepFinalFeatures = true, Threads = threads };
        using var engine = new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, TilesPerItem = 2, DeadInputLearningItems = 2 });
        var actual = engine.Infer(network, images, options);
        Assert.True(int.Parse(actual.Details["dead-input layers"]) >= 2);
        Assert.True(long.Parse(actual.Details["dead-input tiles"]) > 0);
        Assert.True(long.Parse(actual.Details["dead-input misses"]) > 0);
        CpuEngineTests.AssertSameAsReference(expected, actual, "dead inputs");
        Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));

        using var off = new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, DeadInputLearningItems = -1 });
        Assert.Equal("0", off.Infer(network, images, options).Details["dead-input layers"]);
        Assert.Equal(int.MaxValue, DeadInputs.LearningItems(0, 10, workers: 1)); // too few items to profit
        Assert.Equal(9, DeadInputs.LearningItems(0, 157, workers: 1)); // the wide model's 625 tiles, four per item
        Assert.Equal(9, DeadInputs.LearningItems(0, 157, workers: 9));
        Assert.Equal(int.MaxValue, DeadInputs.LearningItems(0, 157, workers: 16)); // learned too late to pay
        Assert.Equal(2, DeadInputs.LearningItems(2, 157, workers: 16));
    }

    [Fact]
    public void DeadInputsAreLearnedFromEveryLearningItemWhateverTheWorkers()
    {
        // Inputs 0..9 are zero in every image; input 5 is not: it is nonzero in learning item 1's
        // images (tiles 2 and 3) and in every image from 128 on. A layout built before item 1 has
        // marked it leaves input 5 out, and those later tiles then miss (run the whole layout);
        // built from both learning items, no tile misses. Four workers on 64 items of two tiles.
        var rng = new Random(9);
        var (rows, cols, values) = (new List<int>(), new List<int>(), new List<float>());
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 8; j++)
                if (rng.Next(2) == 0)
                {
                    rows.Add(i);
                    cols.Add(j);
                    values.Add((float)(rng.NextDouble() * 2 - 1));
                }
        var layer = new NetworkLayer(0, CsrMatrix.FromCoordinates(40, 8, [.. rows], [.. cols], [.. values]), new float[8]) { Form = LayerForm.Identity(BiasMode.Always) };
        var network = new InMemoryNetwork([layer], "input 5 live late", ReadOut.Class);
        var (imageRows, features, pixels) = (new List<int>(), new List<int>(), new List<float>());
        for (int r = 0; r < 2048; r++)
            for (int f = 5; f < 40; f++)
                if (f >= 10 || (f == 5 && (r is >= 32 and < 64 || r >= 128)))
                {
                    imageRows.Add(r);
                    features.Add(f);
                    pixels.Add((float)rng.NextDouble() + 0.5f);
                }
        var images = new ImageBatch(CsrMatrix.FromCoordinates(2048, 40, [.. imageRows], [.. features], [.. pixels]));
        var expected = EngineConformanceTests.RunReference(network, images);
        using var engine = new CpuEngine(new CpuEngineOptions { Order = CpuRunOrder.Tiles, TilesPerItem = 2, DeadInputLearningItems = 2 });
        for (int run = 0; run < 5; run++)
        {
            var actual = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true, Threads = 4 });
            Assert.Equal("1", actual.Details["dead-input layers"]);
            Assert.True(long.Parse(actual.Details["dead-input tiles"]) > 0);
            Assert.Equal("0", actual.Details["dead-input misses"]);
            Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void ColumnGroupsWithoutSomeInputsKeepTheirOutputsAndPackTheRest()
    {
        // The columns of the tests above without inputs 0 and 3: outputs 4, 1, 0, 3 keep 1, 2; 2, 4; 1; 4.
        var columns = CsrMatrix.FromCoordinates(5, 5,
            [0, 0, 1, 1, 1, 3, 4, 4, 4, 4], [1, 3, 0, 2, 4, 4, 0, 1, 2, 3], [0.5f, -1, 1, 2, 3, 7, 9, 8, 6, 5]);
        var groups = ColumnGroups.Build(columns, [10, 11, 12, 13, 14], inputs: 5).WithoutInputs([true, false, false, true, false]);
        Assert.Equal(new[] { 4, 1, 0, 3, 2, 5, 5, 5 }, groups.Order);
        Assert.Equal(new[] { 0, 2, 2 }, groups.GroupSlots);
        int pad = 5 * CpuLayerPlan.TileWidth;
        int[] Tile(params int[] inputs) => [.. inputs.Select(i => i * CpuLayerPlan.TileWidth)];
        // Packed in place of the old slots: what lies past the groups' slots is never read.
        Assert.Equal([.. Tile(1, 2, 1, 4), .. Tile(2, 4), pad, pad], groups.SlotTileOffsets[..8]);
        Assert.Equal(new float[] { 8, 2, 0.5f, 7, 6, 3, 0, 0 }, groups.SlotWeights[..8]);
        Assert.Equal(new float[] { 14, 11, 10, 13, 12, 0, 0, 0 }, groups.GroupBias);
    }

    private static NetworkLayer Layer(int index, int inputs, int outputs, LayerForm form, Func<int, int> length, float weight)
    {
        var rows = new List<int>();
        var cols = new List<int>();
        for (int j = 0; j < outputs; j++)
            for (int i = 0; i < Math.Min(length(j), inputs); i++)
            {
                rows.Add((i * 5 + j) % inputs); // 5 is prime to every width here: distinct inputs
                cols.Add(j);
            }
        var weights = CsrMatrix.FromCoordinates(inputs, outputs, [.. rows], [.. cols], [.. rows.Select(_ => weight)]);
        return new NetworkLayer(index, weights, NetworkLayer.ConstantBias(outputs, 0.01f)) { Form = form };
    }

    /// <summary>The reference's rows after the first <paramref name="layers"/> layers.</summary>
    private static CsrMatrix RowsAfter(InMemoryNetwork network, ImageBatch images, int layers)
    {
        var first = new InMemoryNetwork([.. Enumerable.Range(0, layers).Select(network.GetLayer)], "prefix");
        return EngineConformanceTests.RunReference(first, images).FinalFeatures!;
    }
}
