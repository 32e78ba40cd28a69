using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The common engine contract with every full-width layer on the resident-input kernel (ILGPU's
/// CPU simulator), so the conformance tests' general networks (uneven rows, empty rows, both bias
/// signs, non-dyadic weights) run through it, its stage keeping copies of the inputs (StageCopies).
/// </summary>
public sealed class ResidentInputEngineTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() =>
        new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Kernel = FullWidthKernel.Resident, ResidentColumns = 4, CollapseWherePays = false, StageCopies = true });

    protected override int RandomSeeds => 3;

    protected override int RandomImages => 32;
}

/// <summary>The resident-input kernel against the reference, bit for bit, for every tile width and both product paths.</summary>
public sealed class ResidentInputKernelTests
{
    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    private static GpuEngine Engine(int columns, FullWidthKernel kernel = FullWidthKernel.Resident, int multiprocessors = 1, bool fused = true,
        WeightResidency weights = WeightResidency.Auto, int chunk = 32, bool tail = true, bool timeLayers = false, SplitColumnLanes split = SplitColumnLanes.Four,
        int parts = 0, bool vectorSlots = true, bool stageCopies = true) =>
        new(new GpuEngineOptions
        {
            VectorSlots = vectorSlots,
            StageCopies = stageCopies,
            InputParts = parts,
            SplitColumns = split,
            TailProgram = tail ? TailProgramLayers.On : TailProgramLayers.Off,
            TimeEachLayer = timeLayers,
            Accelerator = GpuAcceleratorChoice.CpuSimulator,
            Kernel = kernel,
            ResidentColumns = columns,
            SimulatedMultiprocessors = multiprocessors,
            FusedProducts = fused,
            Weights = weights,
            LayersPerChunk = chunk,
        });

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(8, true)]
    [InlineData(4, false)]
    [InlineData(8, false)]
    public void NonDyadicGeneralNetworksMatchTheReferenceBitForBit(int columns, bool vectorSlots)
    {
        // Weights and images that are not powers of two: every product rounds, so adding them in
        // any order but the reference's (ascending input) changes the bits. Uneven rows, empty
        // rows, biases of both signs; 37 images: a partial last tile for every width; three
        // layers: rows compacted between layers. Sixteen columns, on one lane an output or split
        // between four, are SplitColumnTilesMatchTheReference's (Off, Four).
        var shape = new RandomNetworkOptions { Neurons = 160, Layers = 3, MeanRowNonZeros = 12, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(100 + columns, shape));
        var images = RandomNetworkGenerator.RandomImages(100 + columns, 37, shape.Neurons, 0.4, 1.7f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = Engine(columns, vectorSlots: vectorSlots);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal(shape.Layers.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["residentInputLayers"]);
        Assert.Equal(columns.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["residentInputColumns"]);
    }

    [Theory]
    [InlineData(1024, 1)]   // 16 columns at once
    [InlineData(4096, 1)]   // 8
    [InlineData(16384, 2)]  // 3: two parts (measured: bench/results/gpu-h200-20261205-v16)
    [InlineData(24000, 2)]  // 2
    [InlineData(65536, 1)]  // none fit: the resident-input kernel is not used, parts or not
    public void TwoInputPartsAreChosenWhereAllInputsAtOnceLeaveAtMostThreeColumns(int inputs, int parts)
    {
        const long h200Stage = 227 * 1024 - 1024;
        Assert.Equal(parts, GpuPlan.AutomaticInputParts(inputs, h200Stage));
    }

    [Theory]
    [InlineData(2, 3, false, false, true)]
    [InlineData(5, 8, false, false, true)]
    [InlineData(4, 16, true, false, true)]
    [InlineData(3, 4, false, true, true)]
    [InlineData(2, 4, false, false, false)]
    [InlineData(2, 4, false, false, true, false)]
    public void InputPartsMatchTheReferenceBitForBit(int parts, int columns, bool dyadic, bool duplicates, bool vectorSlots, bool stageCopies = true)
    {
        // The stage holds one part of the inputs at a time; the sums go on across parts through
        // the output rows. Non-dyadic: every product rounds, so any change of order shows. Uneven
        // lists (some outputs with no entries in a part, some with all), empty rows, both bias
        // signs; 37 images: a partial last tile for every width; dyadic: the fused path, decided
        // per part; duplicate families: copies written after the last part. Three layers: rows
        // compacted between layers.
        var shape = new RandomNetworkOptions { Neurons = 150, Layers = 3, MeanRowNonZeros = 14, DyadicValues = dyadic, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = duplicates ? DuplicateFamilyNetwork.Create(150, 3, 17, dyadic: false) : InMemoryNetwork.Load(new RandomNetworkGenerator(200 + parts * columns, shape));
        var images = RandomNetworkGenerator.RandomImages(201, 37, 150, 0.4, 1.7f, binary: dyadic);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = Engine(columns, tail: false, split: SplitColumnLanes.Off, parts: parts, vectorSlots: vectorSlots, stageCopies: stageCopies);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(((150 + parts - 1) / parts).ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["residentInputPartInputs"]);
        // Four columns with vector slots: the stage keeps copies of the inputs, read where they spread the banks (StageCopies).
        Assert.Equal(columns == 4 && vectorSlots && stageCopies ? "on" : "off", actual.Details["stageCopies"]);
        Assert.Equal("0", actual.Details["splitLanes"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SlicesOfEveryLengthAndEmptyPartsMatchTheReferenceBitForBit(bool vectorSlots)
    {
        // The row loop's edges: lists of 1 to 23 entries (odd and even chunk counts, chunks cut
        // short), whole warps of outputs with no entry in a part (the first 64 read only the
        // first half of the inputs, the next 64 only the second), outputs with no inputs; two
        // parts, non-dyadic weights and inputs (every product rounds), biases of both signs.
        const int n = 300;
        var rng = new Random(23);
        var layers = new List<NetworkLayer>();
        for (int k = 0; k < 3; k++)
        {
            var rows = new List<int>();
            var cols = new List<int>();
            var values = new List<float>();
            var bias = new float[n];
            for (int j = 0; j < n; j++)
            {
                bias[j] = j % 3 == 0 ? 0.05f : -0.08f;
                int from = j < 64 ? 0 : j < 128 ? n / 2 : 0, to = j < 64 ? n / 2 : n;
                int count = j % 50 == 49 ? 0 : 1 + rng.Next(23);
                foreach (int i in Enumerable.Range(from, to - from).OrderBy(_ => rng.Next()).Take(count).Order())
                {
                    rows.Add(i);
                    cols.Add(j);
                    values.Add((float)(rng.NextDouble() * 1.1 - 0.45));
                }
            }
            layers.Add(new NetworkLayer(k, CsrMatrix.FromCoordinates(n, n, [.. rows], [.. cols], [.. values]), bias));
        }
        var network = new InMemoryNetwork(layers);
        var images = RandomNetworkGenerator.RandomImages(24, 37, n, 0.4, 1.7f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = Engine(4, tail: false, split: SplitColumnLanes.Off, parts: 2, vectorSlots: vectorSlots);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("3", actual.Details["residentInputLayers"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
    }

    [Theory]
    [InlineData(SplitColumnLanes.Off, false, false)]
    [InlineData(SplitColumnLanes.Off, true, false)]
    [InlineData(SplitColumnLanes.Four, false, false)]
    [InlineData(SplitColumnLanes.Four, true, false)]
    [InlineData(SplitColumnLanes.Four, false, true)]
    [InlineData(SplitColumnLanes.Eight, false, false)]
    [InlineData(SplitColumnLanes.Eight, true, false)]
    [InlineData(SplitColumnLanes.Eight, false, true)]
    public void SplitColumnTilesMatchTheReference(SplitColumnLanes split, bool dyadic, bool duplicates)
    {
        // Resident-input tiles with each output's columns split between lanes (four lanes: 16
        // columns; eight: 32) or one lane an output: the same sums. 75 images: two full tiles of
        // 32 and a partial one. Uneven lists (warp rows of odd and even counts), empty rows;
        // dyadic weights and binary images: the fused path; duplicate families: copies written
        // by each lane's quad. Three layers: rows compacted between layers.
        var shape = new RandomNetworkOptions { Neurons = 136, Layers = 3, MeanRowNonZeros = 9, DyadicValues = dyadic, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = duplicates ? DuplicateFamilyNetwork.Create(136, 3, 11, dyadic: false) : InMemoryNetwork.Load(new RandomNetworkGenerator(80 + (dyadic ? 1 : 0), shape));
        var images = RandomNetworkGenerator.RandomImages(81, 75, 136, 0.4, 1.7f, binary: dyadic);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        // Eight lanes take tiles of 32 only where no width is asked for.
        using var engine = Engine(split == SplitColumnLanes.Eight ? 0 : 16, tail: false, split: split);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(split switch { SplitColumnLanes.Off => "0", SplitColumnLanes.Four => "4", _ => "8" }, actual.Details["splitLanes"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
    }

    [Theory]
    [InlineData(12, false, false)]
    [InlineData(2, false, false)]
    [InlineData(12, true, false)]
    [InlineData(12, false, true)]
    public void TheColumnLaneKernelMatchesTheReferenceBitForBit(int meanInputs, bool dyadic, bool duplicates)
    {
        // 70 images: two full tiles of 32 columns and a partial one. Two inputs per output on
        // average: many outputs read nothing (empty lists). Dyadic weights: the fused path.
        // Duplicate families: one list writes several outputs. Three layers: rows compacted
        // between layers.
        var shape = new RandomNetworkOptions { Neurons = 160, Layers = 3, MeanRowNonZeros = meanInputs, DyadicValues = dyadic, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = duplicates ? DuplicateFamilyNetwork.Create(160, 3, 13, dyadic: false) : InMemoryNetwork.Load(new RandomNetworkGenerator(60 + meanInputs, shape));
        var images = RandomNetworkGenerator.RandomImages(60 + meanInputs, 70, 160, 0.4, 1.7f, binary: dyadic);
        var expected = EngineConformanceTests.RunReference(network, images);

        using var engine = Engine(0, tail: false);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("3", actual.Details["columnLaneLayers"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 0)]
    public void UnderTheAutomaticChoiceOnlyLayersThatMayFuseGetTheColumnLaneLayout(bool dyadic, int expected)
    {
        // The column-lane kernel is issue-bound with rounded products (GpuPlan.MayFuse).
        var shape = new RandomNetworkOptions { Neurons = 96, Layers = 3, DyadicValues = dyadic, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.2f, MaxBias = 0.1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(21, shape));
        var images = RandomNetworkGenerator.RandomImages(21, 6, shape.Neurons, 0.3, 1f, binary: true);
        using var engine = Engine(0, FullWidthKernel.Auto);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["columnLaneLayers"]);
        Assert.True(EngineConformanceTests.RunReference(network, images).FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    [Theory]
    [InlineData(3, false, false)]
    [InlineData(4, true, false)]
    [InlineData(8, false, true)]
    public void TheTailProgramMatchesTheReferenceAndTheLayerProgramBitForBit(int images, bool timeLayers, bool againWithoutTail)
    {
        // Few live rows: the tail program (one group, four columns) runs the layers from the first
        // (3 or 4 images) or once rows have died down to four (8 images, every other one empty:
        // they die in layer 1, between live ones); streamed chunks of three layers end each
        // tail launch early. Against the layer program once, where the tail takes over mid-run
        // (the other rows' tail runs every layer, matching the reference as the layer program must).
        var shape = new RandomNetworkOptions { Neurons = 160, Layers = 7, MeanRowNonZeros = 12, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.1f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(40 + images, shape));
        var batch = WithEmptyRows(RandomNetworkGenerator.RandomImages(40 + images, images, shape.Neurons, 0.4, 1.7f, binary: false), images > 4 ? images / 2 : 0);
        var expected = EngineConformanceTests.RunReference(network, batch);

        using var engine = Engine(8, weights: WeightResidency.Streamed, chunk: 3, timeLayers: timeLayers);
        var actual = engine.Infer(network, batch, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal("4", actual.Details["tailColumns"]);
        Assert.NotEqual("0", actual.Details["tailLayers"]);
        if (!againWithoutTail) return;

        using var without = Engine(8, weights: WeightResidency.Streamed, chunk: 3, tail: false);
        var programOnly = without.Infer(network, batch, Keep);
        Assert.Equal("0", programOnly.Details["tailLayers"]);
        Assert.True(programOnly.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    /// <summary>The batch with its rows 1, 3, 5, ... (the first <paramref name="empty"/> of them) emptied.</summary>
    private static ImageBatch WithEmptyRows(ImageBatch batch, int empty)
    {
        var m = batch.Features;
        var offsets = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < m.Rows; r++)
        {
            if (r % 2 == 0 || r / 2 >= empty)
            {
                indices.AddRange(m.RowIndices(r).ToArray());
                values.AddRange(m.RowValues(r).ToArray());
            }
            offsets.Add(indices.Count);
        }
        return new ImageBatch(new CsrMatrix(m.Rows, m.Columns, [.. offsets], [.. indices], [.. values]), "with empty rows");
    }

    [Fact]
    public void TheOrderOfAdditionsIsTheReferencesEvenWhereAnotherOrderRoundsDifferently()
    {
        // One output reading inputs whose products cancel only when added in ascending order:
        // 1e8 + 1 - 1e8 = 0 in float32 in that order, 1 in the reverse one. The first layer's
        // output is then 0 (dies) with the reference's order and the bias makes it live otherwise.
        const int n = 64;
        var offsets = new int[n + 1];
        var columns = new List<int>();
        var values = new List<float>();
        // Inputs 0, 1, 2 feed output 5 with weights 1e8, 1, -1e8.
        float[] weights = [1e8f, 1f, -1e8f];
        for (int i = 0; i < n; i++)
        {
            if (i < 3)
            {
                columns.Add(5);
                values.Add(weights[i]);
            }
            offsets[i + 1] = columns.Count;
        }
        var first = new NetworkLayer(0, new CsrMatrix(n, n, offsets, [.. columns], [.. values]), Enumerable.Repeat(0.5f, n).ToArray());
        // Layer 2: output 0 reads output 5 (identity weight), so the category depends on it.
        var second = new NetworkLayer(1, new CsrMatrix(n, n, Offsets(n, 5), [0], [1f]), Enumerable.Repeat(0.5f, n).ToArray());
        var network = new InMemoryNetwork([first, second]);
        var images = new ImageBatch(new CsrMatrix(4, n, [0, 3, 6, 9, 12], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], Enumerable.Repeat(1f, 12).ToArray()), "cancelling");
        var expected = EngineConformanceTests.RunReference(network, images);

        using var engine = Engine(3);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    private static int[] Offsets(int n, int onlyRow)
    {
        var offsets = new int[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (i == onlyRow ? 1 : 0);
        return offsets;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DyadicLayersTakeTheFusedPathOrTheRoundedOneWithTheSameBits(bool fused)
    {
        // Three layers: rows compacted between layers, each layer's path decided on its own.
        var shape = new RandomNetworkOptions { Neurons = 96, Layers = 3, DyadicValues = true, MinWeight = -1f, MaxWeight = 1f, MinBias = -0.25f, MaxBias = 0.25f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(7, shape));
        var images = RandomNetworkGenerator.RandomImages(7, 40, shape.Neurons, 0.3, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);

        using var engine = Engine(8, fused: fused);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    [Fact]
    public void DuplicateOutputsAreComputedOnceAndWrittenToEveryCopy()
    {
        // Families of outputs with equal inputs, weights and bias (some larger than a thread's
        // copies), others that differ only in a weight or the bias; streamed in chunks of two.
        var network = DuplicateFamilyNetwork.Create(300, 4, 11, dyadic: false);
        var images = RandomNetworkGenerator.RandomImages(11, 48, 300, 0.3, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        using var engine = Engine(4, weights: WeightResidency.Streamed, chunk: 2);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal("4", actual.Details["residentInputLayers"]);
    }

    [Fact]
    public void ResidentLayersAndTiledLayersAlternateWithinOneRun()
    {
        // Automatic choice: layers of scattered random inputs (four blocks, each reading nearly
        // every input) go to the resident kernel, banded layers (each block reading its own
        // outputs' neighbourhood) stay tiled.
        const int n = 1024;
        var scattered = new RandomNetworkOptions { Neurons = n, Layers = 4, MeanRowNonZeros = 24, MinWeight = -0.3f, MaxWeight = 0.5f, MinBias = -0.2f, MaxBias = 0.1f };
        var random = new RandomNetworkGenerator(5, scattered);
        var layers = new List<NetworkLayer>();
        for (int k = 0; k < 4; k++) layers.Add(k % 2 == 0 ? random.GetLayer(k) : Banded(k, n));
        var network = new InMemoryNetwork(layers);
        var images = RandomNetworkGenerator.RandomImages(5, 24, n, 0.3, 2f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);

        // Four columns: below the width at which every layer goes to the resident kernel.
        using var engine = Engine(4, FullWidthKernel.Auto);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal("2", actual.Details["residentInputLayers"]);

        // The tiled kernel asked for: no resident layer (planned only; the tiled kernel's runs are GpuEngineTests').
        using var tiled = Engine(0, FullWidthKernel.Tiled);
        using var tiledPlan = (GpuPlan)tiled.Plan(network, Keep);
        tiledPlan.WaitComplete();
        Assert.Equal(0, tiledPlan.ResidentLayerCount);
    }

    /// <summary>Output j reads inputs j, j+1, j+2 (mod n) with weights 0.4, -0.3, 0.7: every block's footprint is its own outputs and two more.</summary>
    private static NetworkLayer Banded(int index, int n)
    {
        var offsets = new int[n + 1];
        var columns = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < n; i++)
        {
            // Input i feeds outputs i-2, i-1, i (mod n), ascending.
            var targets = new[] { (i - 2 + n) % n, (i - 1 + n) % n, i }.Order().ToArray();
            foreach (int j in targets)
            {
                columns.Add(j);
                int offset = (i - j + n) % n;
                values.Add(offset == 0 ? 0.4f : offset == 1 ? -0.3f : 0.7f);
            }
            offsets[i + 1] = columns.Count;
        }
        return new NetworkLayer(index, new CsrMatrix(n, n, offsets, [.. columns], [.. values]), Enumerable.Repeat(-0.05f, n).ToArray());
    }
}
