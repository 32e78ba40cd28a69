using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Formats.Idx;
using SpDnn.Formats.Models;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The GPU engine on general networks (ILGPU's CPU simulator): layers of any shape, every
/// activation and bias mode, the class read-out; bit for bit against the reference engine.
/// </summary>
public sealed class GpuGeneralFormTests
{
    private static readonly InferenceOptions Keep = new() { KeepFinalFeatures = true };

    /// <param name="columnLanes">With the resident kernel: tiles of 32 columns on the column-lane kernel instead of 4 on the resident-input one.</param>
    private static GpuEngineOptions Simulator(FullWidthKernel kernel = FullWidthKernel.Tiled, bool columnLanes = false) => new()
    {
        Accelerator = GpuAcceleratorChoice.CpuSimulator,
        Kernel = kernel,
        ResidentColumns = kernel == FullWidthKernel.Resident && !columnLanes ? 4 : 0,
        ColumnLanes = columnLanes,
        CollapseWherePays = false, // merge rows wherever they settle, small as these are
    };

    [Theory]
    [InlineData(FullWidthKernel.Tiled, false)]
    [InlineData(FullWidthKernel.Resident, false)]
    [InlineData(FullWidthKernel.Resident, true)]
    public void EveryActivationAndBiasModeOnRectangularLayersMatchesTheReference(FullWidthKernel kernel, bool columnLanes)
    {
        // Arbitrary weights: every product rounds (the rounded path, in the reference's order);
        // weights that are powers of two and dyadic inputs: exact products, so the fused path
        // runs where a stage's inputs allow it.
        var cases = new[] { false, true }.Select(dyadic =>
        {
            var network = RevivingNetwork(dyadic);
            // 70 images: three tiles of the column-lane kernel, the last partial; 37 for the
            // others: tiles of 16 rows or 4 columns, the last partial too.
            var images = RandomGeneralNetwork.Images(dyadic ? 2 : 1, columnLanes ? 70 : 37, network.Neurons, dyadic);
            var expected = EngineConformanceTests.RunReference(network, images);
            var live = expected.LayerStatistics.Select(s => s.LiveImages).ToArray();
            // Rows die at layer 2, layer 4 (bias always) brings them back, and rows die again after
            // it, where they may be dropped: both sides of ZeroRowsKeptBefore are exercised.
            Assert.True(live[1] < images.Count && live[3] == images.Count && live[^1] < images.Count, string.Join(",", live));
            return (network, images, expected);
        }).ToArray();
        using var engine = new GpuEngine(Simulator(kernel, columnLanes));
        Assert.True(engine.RunsGeneralForm);
        foreach (var (network, images, expected) in cases)
        {
            var actual = engine.Infer(network, images, Keep);
            AssertSame(expected, actual);
            Assert.Equal(kernel == FullWidthKernel.Resident ? "6" : "0", actual.Details["residentInputLayers"]);
            Assert.Equal(columnLanes ? "6" : "0", actual.Details["columnLaneLayers"]);
        }
    }

    [Fact]
    public void TheTailProgramRunsGeneralLayersAndKeepsZeroRowsForALaterLayer()
    {
        // Four images, so the tail program (one group, a tile of four columns) runs every layer:
        // two whose rows die at layer 2 and come back at layer 4 (bias always), two others.
        var network = RevivingNetwork(dyadic: false);
        var all = RandomGeneralNetwork.Images(1, 40, network.Neurons, dyadic: false);
        var aliveAfterTwo = EngineConformanceTests.RunReference(network.Take(2), all).Categories.Select(c => c - 1).ToHashSet();
        int[] rows = [.. Enumerable.Range(0, all.Count).Where(r => !aliveAfterTwo.Contains(r)).Take(2), .. aliveAfterTwo.Order().Take(2)];
        Assert.Equal(4, rows.Length);
        var images = new ImageBatch(CsrMatrix.FromCoordinates(4, all.Neurons,
            [.. rows.SelectMany((r, q) => Enumerable.Repeat(q, all.Features.RowLength(r)))],
            [.. rows.SelectMany(r => all.Features.RowIndices(r).ToArray())],
            [.. rows.SelectMany(r => all.Features.RowValues(r).ToArray())]));
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.Equal(2, expected.LayerStatistics[1].LiveImages);
        Assert.Equal(4, expected.LayerStatistics[3].LiveImages);

        using var engine = new GpuEngine(Simulator(FullWidthKernel.Resident) with { TailProgram = TailProgramLayers.On });
        var actual = engine.Infer(network, images, Keep);
        AssertSame(expected, actual);
        Assert.Equal("4", actual.Details["tailColumns"]);
        Assert.Equal(network.LayerCount.ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Details["tailLayers"]);
    }

    [Fact]
    public void ZeroRowsKeptForALaterLayerPassTheSplitCompactionCollapseAndBatches()
    {
        // 300 rows, 100 distinct images three times over: more live rows than a group has threads,
        // so two groups split the compaction while layer 0's all-zero rows are kept for layer 2
        // (bias always); the copies then collapse. Then the first 60 rows (distinct images) with a
        // budget for 30: two batches, so the classes of the second land at their rows.
        var network = new InMemoryNetwork(
        [
            Layer(0, 24, 40, LayerForm.Relu(BiasMode.OnNonzeroSum), seed: 11, density: 0.2, negativeShare: 0.7),
            Layer(1, 40, 18, LayerForm.Identity(BiasMode.OnNonzeroSum), seed: 12, density: 0.3),
            Layer(2, 18, 30, LayerForm.CappedRelu(2.5f, BiasMode.Always), seed: 13, density: 0.3, biasLow: 0.01f),
            Layer(3, 30, 6, LayerForm.Identity(BiasMode.Always), seed: 14, density: 0.5),
        ], "reviving network", ReadOut.Class);
        var images = RepeatedImages.Interleaved(RandomGeneralNetwork.Images(5, 100, 24, dyadic: false), 3);
        var expected = EngineConformanceTests.RunReference(network, images);
        Assert.InRange(expected.LayerStatistics[0].LiveImages, 1, images.Count - 1);

        var options = Simulator() with { SimulatedMultiprocessors = 2 };
        using var whole = new GpuEngine(options);
        var once = whole.Infer(network, images, Keep);
        AssertSame(expected, once);
        Assert.NotEqual("0", once.Details["collapses"]);

        var part = images.Slice(0, 60);
        var expectedPart = EngineConformanceTests.RunReference(network, part);
        Assert.InRange(expectedPart.LayerStatistics[0].LiveImages, 1, part.Count - 1);
        long planBytes = long.Parse(once.Details["planBytes"], System.Globalization.CultureInfo.InvariantCulture);
        long perImage = GpuBatchRun.DeviceBytes(2, network.MaxWidth, network.LayerCount) - GpuBatchRun.DeviceBytes(1, network.MaxWidth, network.LayerCount);
        using var budgeted = new GpuEngine(options with { DeviceMemoryBudget = planBytes + 30 * perImage, Weights = WeightResidency.Resident });
        var batched = budgeted.Infer(network, part, Keep);
        Assert.Equal("2", batched.Details["batches"]);
        AssertSame(expectedPart, batched);
    }

    [Theory]
    [InlineData(SplitColumnLanes.Auto)]
    [InlineData(SplitColumnLanes.Off)]
    [InlineData(SplitColumnLanes.Eight)]
    public void TheShippedModelGivesTheReferenceClassesAndLogits(SplitColumnLanes split)
    {
        // 784 -> 300 -> 100 -> 10, ReLU, bias always, identity logits: the MNIST model, on the
        // first 40 test images. The stage holds 16 columns of 784 inputs, so every layer runs on
        // the resident-input kernel (auto) while the 40 rows fill two of its tiles or more.
        var network = ModelFiles.Read(ModelTestData.SmallModel);
        var images = IdxFile.ReadImages(ModelTestData.TestImages).Slice(0, 40);
        var expected = EngineConformanceTests.RunReference(network, images);
        using var engine = new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator, SplitColumns = split });
        var actual = engine.Infer(network, images, Keep);
        AssertSame(expected, actual);
        Assert.Equal("3", actual.Details["residentInputLayers"]);
        Assert.Equal("16", actual.Details["residentInputColumns"]);
        var labels = IdxFile.ReadLabels(ModelTestData.TestLabels);
        Assert.InRange(Enumerable.Range(0, images.Count).Count(i => actual.Classes![i] == labels[i]), 37, 40);
    }

    [Fact]
    public void AutoPicksTheGpuForGeneralNetworksWhereOneExists()
    {
        Assert.True(EngineFactory.Find("gpu").RunsGeneralForm);
        var best = EngineFactory.All.First(e => e.IsAvailable());
        Assert.Equal(best.Name, EngineFactory.Resolve("auto", general: true).Name);
    }

    private static void AssertSame(InferenceResult expected, InferenceResult actual)
    {
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.True(expected.FinalFeatures!.ContentEquals(actual.FinalFeatures!), "final rows differ");
        Assert.Equal(expected.LayerStatistics.Select(s => s.LiveImages), actual.LayerStatistics.Select(s => s.LiveImages));
        Assert.Equal(expected.Classes, actual.Classes);
        Assert.Equal(expected.Logits?.Select(BitConverter.SingleToInt32Bits), actual.Logits?.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// 37 -> 64 -> 5 -> 45 -> 20 -> 4 -> 7: every activation (ReLU, capped ReLU with a cap other
    /// than 32, identity) and both bias modes; layer 2 kills rows, layer 4 (bias always, positive
    /// biases) revives them, the last layers kill some again; a class read-out.
    /// </summary>
    private static InMemoryNetwork RevivingNetwork(bool dyadic) => new(
    [
        Layer(0, 37, 64, LayerForm.Relu(BiasMode.Always), seed: 1, density: 0.2, dyadic: dyadic),
        Layer(1, 64, 5, LayerForm.CappedRelu(1.5f, BiasMode.OnNonzeroSum), seed: 2, density: 0.1, dyadic: dyadic, negativeShare: 0.85, biasHigh: 0f),
        Layer(2, 5, 45, LayerForm.Identity(BiasMode.OnNonzeroSum), seed: 3, density: 0.4, dyadic: dyadic),
        Layer(3, 45, 20, LayerForm.CappedRelu(6f, BiasMode.Always), seed: 4, density: 0.2, dyadic: dyadic, biasLow: 0.0625f),
        Layer(4, 20, 4, LayerForm.Relu(BiasMode.OnNonzeroSum), seed: 5, density: 0.2, dyadic: dyadic, negativeShare: 0.85, biasHigh: 0f),
        Layer(5, 4, 7, LayerForm.Identity(BiasMode.OnNonzeroSum), seed: 6, density: 0.5, dyadic: dyadic),
    ], $"reviving network ({(dyadic ? "dyadic" : "rounded")})", ReadOut.Class);

    /// <summary>
    /// A random layer: each weight present with <paramref name="density"/>, negative with
    /// <paramref name="negativeShare"/>, magnitudes in (0.05, 1.05) (powers of two from 1/8 to 1
    /// when dyadic); biases in [<paramref name="biasLow"/>, <paramref name="biasHigh"/>) (multiples of 1/16 when dyadic).
    /// </summary>
    private static NetworkLayer Layer(int index, int inputs, int outputs, LayerForm form, int seed, double density,
        bool dyadic = false, double negativeShare = 0.4, float biasLow = -0.3f, float biasHigh = 0.3f)
    {
        var rng = new Random(seed * 104729 + (dyadic ? 7 : 0));
        var rows = new List<int>();
        var columns = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < inputs; i++)
        {
            for (int j = 0; j < outputs; j++)
            {
                if (rng.NextDouble() >= density) continue;
                float magnitude = dyadic ? MathF.ScaleB(1f, -rng.Next(4)) : (float)(0.05 + rng.NextDouble());
                rows.Add(i);
                columns.Add(j);
                values.Add(rng.NextDouble() < negativeShare ? -magnitude : magnitude);
            }
        }
        var bias = new float[outputs];
        for (int j = 0; j < outputs; j++)
        {
            float b = biasLow + (float)rng.NextDouble() * (biasHigh - biasLow);
            bias[j] = dyadic ? MathF.Round(b * 16) / 16 : b;
        }
        var weights = CsrMatrix.FromCoordinates(inputs, outputs, rows.ToArray(), columns.ToArray(), values.ToArray());
        return new NetworkLayer(index, weights, bias) { Form = form };
    }
}
