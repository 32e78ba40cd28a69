using System.Globalization;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Features kept as one row per distinct output (<see cref="FeatureRows.Distinct"/>): which
/// outputs share a row, the layers as they then run (inputs read from rows, each list in the
/// reference's order), and the engine on ILGPU's CPU simulator against the reference, bit for bit.
/// </summary>
public sealed class DistinctRowsTests
{
    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    [Fact]
    public void OutputsShareARowOnlyWithEqualInputsWeightsAndBias()
    {
        // Outputs 0, 3, 5, 8, 9: one list; 1 the same inputs with another weight; 4 the same with
        // another bias; 2 and 6 no inputs (equal), 7 no inputs with another bias.
        var bias = new[] { -0.25f, -0.25f, -0.25f, -0.25f, 0.5f, -0.25f, -0.25f, 0.5f, -0.25f, -0.25f };
        (int, float)[] list = [(0, 0.3f), (2, -0.7f)];
        var layer = Layer(4, bias, list, [(0, 0.3f), (2, -0.71f)], [], list, list, list, [], [], list, list);
        using var lists = new OutputInputLists(layer, groupByFirstInput: false);
        var rows = DistinctRows.Find(lists, layer.Bias);
        Assert.NotNull(rows);
        Assert.Equal([0, 1, 2, 4, 7], rows.Representatives);
        Assert.Equal([0, 1, 2, 0, 3, 0, 2, 4, 0, 0], rows.RowOf);

        // Fewer than half the outputs to spare: every output keeps its row.
        var fewer = Layer(4, [0f, 0f, 0f], [(0, 1f)], [(0, 1f)], [(1, 1f)]);
        using var fewerLists = new OutputInputLists(fewer, groupByFirstInput: false);
        Assert.Null(DistinctRows.Find(fewerLists, fewer.Bias));
    }

    [Fact]
    public void ALayerReadsItsInputsFromTheirRowsInTheReferenceOrder()
    {
        // Inputs 0..5 stored in rows 0, 1, 0, 2, 1, 0; outputs 0 and 2 equal (one row), 1 apart.
        var inputs = new DistinctRows([0, 1, 0, 2, 1, 0], [0, 1, 3]);
        var layer = Layer(6, [0.1f, 0.1f, 0.1f], [(0, 0.5f), (1, 0.25f), (2, -0.75f), (5, 0.125f)], [(3, 2f), (4, -1f)], [(0, 0.5f), (1, 0.25f), (2, -0.75f), (5, 0.125f)]);
        using var lists = new OutputInputLists(layer, groupByFirstInput: false);
        var outputs = new DistinctRows([0, 1, 0], [0, 1]);
        var runs = DistinctRowsLayer.Create(layer, lists, inputs, outputs);
        Assert.Equal(3, runs.Inputs);
        Assert.Equal(2, runs.Neurons);
        var byOutput = runs.ByOutput!;
        Assert.Equal([0, 1, 0, 0], byOutput.RowIndices(0).ToArray());
        Assert.Equal([0.5f, 0.25f, -0.75f, 0.125f], byOutput.RowValues(0).ToArray());
        Assert.Equal([2, 1], byOutput.RowIndices(1).ToArray());
        // By input: row 0 holds output 0 three times.
        Assert.Equal([0, 0, 0], runs.Weights.RowIndices(0).ToArray());
        Assert.Equal(6, runs.Weights.NonZeros);
        Assert.Equal(layer.Form, runs.Form);
    }

    [Theory]
    [InlineData(FullWidthKernel.Tiled, 0, false, 2, 12)]
    [InlineData(FullWidthKernel.Resident, 16, true, 32, 12)]
    [InlineData(FullWidthKernel.Resident, 0, false, 3, 32)]
    public void DuplicateFamiliesRunFromDistinctRowsBitForBit(FullWidthKernel kernel, int columns, bool dyadic, int chunk, int distinctImages)
    {
        // Families of outputs with one input list, some with other weights or bias, empty lists:
        // each layer stores ~50 rows for its 300 outputs, and the next layer's lists read them out
        // of order and several times. Non-dyadic: every product rounds, so any change of order
        // shows. Chunks of two or three layers: rows found in one chunk are read in the next.
        // 64 rows on one multiprocessor, on the resident-input kernel with no tile width asked
        // for: column-lane tiles (two of 32 columns a multiprocessor).
        var network = DuplicateFamilyNetwork.Create(300, 4, 23, dyadic);
        var images = RepeatedImages.Interleaved(RandomNetworkGenerator.RandomImages(23, distinctImages, 300, 0.3, 1.7f, binary: dyadic), 2);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);

        bool lanes = kernel == FullWidthKernel.Resident && columns == 0;
        using var engine = Engine(kernel, columns, chunk, multiprocessors: lanes ? 1 : 2);
        var actual = RunsAsTheReference(engine, network, images, expected);
        if (kernel == FullWidthKernel.Resident) Assert.Equal("4", actual.Details["residentInputLayers"]);
        if (lanes) Assert.NotEqual("0", actual.Details["columnLaneLayers"]);
    }

    [Fact]
    public void AChallengeNetworkWithNonDyadicWeightsRunsFromDistinctRowsAsTheReference()
    {
        // The challenge's Kronecker structure (16 equal outputs a class, rows permuted from layer 7
        // on) with each layer's weights scaled by a non-dyadic factor: 64 rows of 1024, the next
        // layer's lists reading two to 32 rows each in the reference's input order.
        var network = NonDyadicChallenge(1024, 8);
        var images = RandomNetworkGenerator.RandomImages(5, 8, 1024, 0.2, 1f, binary: true);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        // Eight rows: too few for the resident-input kernel's tiles, every layer on the tiled one.
        using var engine = Engine(FullWidthKernel.Auto, 0, 4);
        var actual = RunsAsTheReference(engine, network, images, expected);
        // The layer program keeps the challenge's form; the kernels that stage inputs read widths.
        Assert.Equal("staging", actual.Details["generalKernels"]);
    }

    [Fact]
    public void TiledBlocksOfSeveralStagesReadDistinctRowsInTheReferenceOrder()
    {
        // Outputs i and i + 700 equal (strided, as the challenge's copies): 700 rows of 1400, so
        // input j is read from row j mod 700 and lists of 20-30 inputs read rows up and down; a
        // block's 256 lists then read far more than a stage's 512 rows (tiled layout: stages in
        // list order, rows repeated across stages). Non-dyadic weights: any reordering shows.
        var network = StridedPairs(1400, 3, 7);
        var images = RandomNetworkGenerator.RandomImages(7, 8, 1400, 0.3, 1.3f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        using var engine = Engine(FullWidthKernel.Tiled, 0, 32);
        RunsAsTheReference(engine, network, images, expected);
    }

    [Fact]
    public void ConvergedLayersThatReadDistinctRowsAndPadRunInTheTailProgramByDefault()
    {
        // Three images: few enough for the tail program's tile from the start. Layers 2-4 read
        // 700 distinct rows in lists that need several uneven stages (the tiled layout pads):
        // by default they run in the tail program (one group, one launch), layer 1 (the images'
        // 1400 inputs) does not; the same result as the reference and as without the tail.
        var network = StridedPairs(1400, 4, 9);
        var images = RandomNetworkGenerator.RandomImages(9, 3, 1400, 0.3, 1.3f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.NotEmpty(expected.Categories);
        // Twice: the second run reads its plan, tail layouts and their flags, from the cache.
        string folder = Path.Combine(Path.GetTempPath(), "spdnn-tail-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cached = new InferenceOptions { KeepFinalFeatures = true, PlanCacheFolder = folder };
            for (int run = 0; run < 2; run++)
            {
                using var engine = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Rows = FeatureRows.Distinct });
                var actual = RunsAsTheReference(engine, network, images, expected, cached);
                Assert.StartsWith(run == 0 ? "written" : "read", actual.Details["planCache"]);
                Assert.Equal("3", actual.Details["tailLayers"]);
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        using var without = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, Rows = FeatureRows.Distinct, TailProgram = TailProgramLayers.Off });
        var programOnly = RunsAsTheReference(without, network, images, expected);
        Assert.Equal("0", programOnly.Details["tailLayers"]);
    }

    [Fact]
    public void ARangeOfLayersRunsFromDistinctRowsAsANetworkOfItsOwn()
    {
        // As the multi-device engine plans the layers after a re-balance: layers 3-5 of five, whose
        // layers keep their Index in the whole network.
        var range = new LayerRangeSource(DuplicateFamilyNetwork.Create(300, 5, 29, dyadic: false), 2, 3);
        var images = RandomNetworkGenerator.RandomImages(29, 10, 300, 0.3, 1.7f, binary: false);
        var expected = EngineConformanceTests.RunReference(range, images);
        Assert.NotEmpty(expected.Categories);
        using var engine = Engine(FullWidthKernel.Tiled, 0, 2);
        RunsAsTheReference(engine, range, images, expected);
    }

    [Fact]
    public void ANetworkWithoutDuplicatesKeepsEveryRowAndTheChallengeKernels()
    {
        var shape = new RandomNetworkOptions { Neurons = 120, Layers = 3, MeanRowNonZeros = 9, MinWeight = -0.45f, MaxWeight = 0.65f, MinBias = -0.3f, MaxBias = 0.2f };
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(8, shape));
        var images = RandomNetworkGenerator.RandomImages(8, 10, 120, 0.4, 1.7f, binary: false);
        using var engine = Engine(FullWidthKernel.Tiled, 0, 32);
        var actual = engine.Infer(network, images, Keep);
        Assert.Equal("all", actual.Details["featureRows"]);
        Assert.Equal("none", actual.Details["generalKernels"]);
        Assert.True(EngineConformanceTests.RunReference(network, images).FinalFeatures!.ContentEquals(actual.FinalFeatures!));
    }

    [Fact]
    public void AGeneralFormNetworkAndAPlanReadFromTheCacheRunFromDistinctRows()
    {
        // Bias added always (zero rows come back), ReLU capped at 6; the second run reads its plan
        // from the cache, so the rows of layers nobody plans are found from the network again.
        var families = DuplicateFamilyNetwork.Create(200, 3, 31, dyadic: false);
        var network = new InMemoryNetwork([.. Enumerable.Range(0, 3).Select(k => families.GetLayer(k) with { Form = LayerForm.CappedRelu(6f, BiasMode.Always) })]);
        var images = RandomNetworkGenerator.RandomImages(31, 10, 200, 0.3, 1.7f, binary: false);
        var expected = EngineConformanceTests.RunReference(network, images);
        string folder = Path.Combine(Path.GetTempPath(), "spdnn-distinct-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new InferenceOptions { KeepFinalFeatures = true, PlanCacheFolder = folder };
            for (int run = 0; run < 2; run++)
            {
                using var engine = Engine(FullWidthKernel.Auto, 0, 2);
                var actual = RunsAsTheReference(engine, network, images, expected, options);
                Assert.StartsWith(run == 0 ? "written" : "read", actual.Details["planCache"]);
                Assert.Equal("all", actual.Details["generalKernels"]);
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Runs <paramref name="network"/> on <paramref name="engine"/> and checks that it kept distinct
    /// rows and gave the reference's result (<paramref name="expected"/>): categories, final rows
    /// bit for bit, live images per layer.
    /// </summary>
    private static InferenceResult RunsAsTheReference(GpuEngine engine, ILayerSource network, ImageBatch images, InferenceResult expected, InferenceOptions? options = null)
    {
        var actual = engine.Infer(network, images, options ?? Keep);
        Assert.Equal("distinct", actual.Details["featureRows"]);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!));
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        return actual;
    }

    private static GpuEngine Engine(FullWidthKernel kernel, int columns, int chunk, int multiprocessors = 2) => new(new GpuEngineOptions
    {
        Accelerator = GpuAcceleratorChoice.CpuSimulator,
        Rows = FeatureRows.Distinct,
        Kernel = kernel,
        ResidentColumns = columns,
        SplitColumns = columns == 16 ? SplitColumnLanes.Four : SplitColumnLanes.Off,
        LayersPerChunk = chunk,
        SimulatedMultiprocessors = multiprocessors,
    });

    /// <summary>The first <paramref name="layers"/> challenge layers of size <paramref name="neurons"/>, layer k's weights times 1.05 + 0.11 k (not a power of two).</summary>
    private static InMemoryNetwork NonDyadicChallenge(int neurons, int layers)
    {
        var generator = new ChallengeNetworkGenerator(neurons, layers);
        return new InMemoryNetwork([.. Enumerable.Range(0, layers).Select(k =>
        {
            var layer = generator.GetLayer(k);
            var w = layer.Weights;
            float scale = 1.05f + 0.11f * k;
            var values = w.Values.ToArray().Select(v => v * scale).ToArray();
            return new NetworkLayer(k, new CsrMatrix(w.Rows, w.Columns, w.RowOffsets.ToArray(), w.ColumnIndices.ToArray(), values), layer.Bias);
        })]);
    }

    /// <summary>Square layers whose outputs i and i + n/2 have one random list (20-30 inputs, non-dyadic weights) and bias.</summary>
    private static InMemoryNetwork StridedPairs(int neurons, int layers, int seed)
    {
        var rng = new Random(seed);
        int half = neurons / 2;
        return new InMemoryNetwork([.. Enumerable.Range(0, layers).Select(k =>
        {
            var rows = new List<int>();
            var columns = new List<int>();
            var values = new List<float>();
            var bias = new float[neurons];
            for (int i = 0; i < half; i++)
            {
                var inputs = Enumerable.Range(0, neurons).OrderBy(_ => rng.Next()).Take(20 + rng.Next(11)).Order().ToArray();
                var weights = inputs.Select(_ => (float)(rng.NextDouble() * 0.5 - 0.12)).ToArray();
                float b = rng.Next(3) == 0 ? 0.05f : -0.15f;
                foreach (int j in new[] { i, i + half })
                {
                    bias[j] = b;
                    rows.AddRange(inputs);
                    columns.AddRange(Enumerable.Repeat(j, inputs.Length));
                    values.AddRange(weights);
                }
            }
            return new NetworkLayer(k, CsrMatrix.FromCoordinates(neurons, neurons, [.. rows], [.. columns], [.. values]), bias);
        })]);
    }

    /// <summary>A layer of <paramref name="inputs"/> inputs whose output j has the (input, weight) list <paramref name="lists"/>[j] (ascending).</summary>
    private static NetworkLayer Layer(int inputs, float[] bias, params (int Input, float Weight)[][] lists)
    {
        var rows = new List<int>();
        var columns = new List<int>();
        var values = new List<float>();
        for (int j = 0; j < lists.Length; j++)
        {
            foreach (var (input, weight) in lists[j])
            {
                rows.Add(input);
                columns.Add(j);
                values.Add(weight);
            }
        }
        return new NetworkLayer(0, CsrMatrix.FromCoordinates(inputs, lists.Length, [.. rows], [.. columns], [.. values]), bias);
    }
}
