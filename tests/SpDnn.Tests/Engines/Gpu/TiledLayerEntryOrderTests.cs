using SpDnn.Engines.Gpu;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Layers whose lists by output are in no particular order and repeat inputs: the tiled layout
/// must add each output's entries in exactly its list's order (the sums are bit-exact only so),
/// whether a block's footprint fits one stage or needs several; ascending lists lay out as before.
/// </summary>
public sealed class TiledLayerEntryOrderTests
{
    [Theory]
    [InlineData(1, 400, 600, true)]
    [InlineData(2, 512, 300, true)]
    [InlineData(3, 400, 600, false)]
    public void OneStageBlocksAddEveryListInItsOrder(int seed, int inputs, int outputs, bool cluster)
    {
        // At most 512 inputs: every block's footprint is one stage.
        var lists = ShuffledLists(new Random(seed), inputs, outputs, minLength: 5, maxLength: 40, repeatEvery: 4);
        var layer = LayerOf(inputs, lists, NetworkLayer.ConstantBias(outputs, -0.25f));
        foreach (bool merge in new[] { true, false })
        {
            var tiled = TiledLayerPlanner.Plan(layer, cluster, merge);
            Assert.Equal(tiled.Blocks, tiled.Stages);
            AssertLayoutAddsEveryListInOrder(lists, tiled);
        }
    }

    [Theory]
    [InlineData(4, 3000, 800, true, false)]
    [InlineData(5, 3000, 800, false, false)]
    [InlineData(6, 5000, 600, true, false)]
    [InlineData(7, 3000, 800, true, true)]   // lists that never descend but repeat inputs
    public void BlocksOfSeveralStagesAddEveryListInItsOrder(int seed, int inputs, int outputs, bool cluster, bool sortLists)
    {
        var lists = ShuffledLists(new Random(seed), inputs, outputs, minLength: 20, maxLength: 40, repeatEvery: 3);
        if (sortLists)
            foreach (var list in lists) list.Sort((x, y) => x.Input.CompareTo(y.Input));
        var layer = LayerOf(inputs, lists, NetworkLayer.ConstantBias(outputs, 0.5f));
        foreach (bool merge in new[] { true, false })
        {
            var tiled = TiledLayerPlanner.Plan(layer, cluster, merge);
            // The case under test: blocks of several stages whose lists repeat inputs (and, unsorted, descend).
            Assert.Contains(Enumerable.Range(0, tiled.Blocks), b => tiled.BlockStages[b + 1] - tiled.BlockStages[b] > 1);
            AssertLayoutAddsEveryListInOrder(lists, tiled);
        }
    }

    [Theory]
    [InlineData(8, 2000, 60)]
    [InlineData(9, 700, 40)]
    [InlineData(10, 300, 6)]
    public void AscendingListsLayOutAsFromTheirTranspose(int seed, int neurons, int meanLength)
    {
        // Lists by output that ascend without repeats are the transpose's: the layout is the one
        // planned from the weights by input alone, and the reference planner's.
        var rng = new Random(seed);
        var lists = new List<(int Input, float Weight)>[neurons];
        for (int j = 0; j < neurons; j++)
        {
            int length = rng.Next(2 * meanLength + 1);
            lists[j] = [.. Enumerable.Range(0, neurons).OrderBy(_ => rng.Next()).Take(length).Order().Select(i => (i, Weight(rng)))];
        }
        var bias = NetworkLayer.ConstantBias(neurons, -0.3f);
        var byOutput = LayerOf(neurons, lists, bias);
        var rows = lists.SelectMany(l => l.Select(e => e.Input)).ToArray();
        var columns = lists.SelectMany((l, j) => l.Select(_ => j)).ToArray();
        var values = lists.SelectMany(l => l.Select(e => e.Weight)).ToArray();
        var byInput = new NetworkLayer(0, CsrMatrix.FromCoordinates(neurons, neurons, rows, columns, values), bias);
        Assert.NotNull(byOutput.ByOutput);
        Assert.Null(byInput.ByOutput);
        foreach (bool cluster in new[] { true, false })
        {
            foreach (bool merge in new[] { true, false })
            {
                var expected = TiledLayerPlanner.Plan(byInput, cluster, merge);
                var actual = TiledLayerPlanner.Plan(byOutput, cluster, merge);
                TiledLayerPlannerEquivalenceTests.AssertSameArrays(expected, actual);
                Assert.Equal(expected.CopyStarts, actual.CopyStarts);
                Assert.Equal(expected.Copies, actual.Copies);
                Assert.Equal(expected.ComputedNonZeros, actual.ComputedNonZeros);
                AssertLayoutAddsEveryListInOrder(lists, actual);
            }
            TiledLayerPlannerEquivalenceTests.AssertSameArrays(ReferenceTiledLayerPlanner.Plan(byInput, cluster), TiledLayerPlanner.Plan(byOutput, cluster, mergeDuplicates: false));
        }
    }

    [Theory]
    [InlineData(11, 3000, 1000, 100)]  // blocks of several stages
    [InlineData(12, 400, 700, 24)]     // blocks of one stage
    public void EqualListsInNoOrderAreComputedOnceAndCopied(int seed, int inputs, int outputs, int families)
    {
        // Families of outputs with one shuffled list (repeats included) and equal weights; some
        // outputs have another bias, or another first weight, and must stay apart. The families'
        // inputs spread over the whole layer, so that a block of them needs several stages.
        var rng = new Random(seed);
        var familyLists = ShuffledLists(rng, inputs, families, minLength: 30, maxLength: 50, repeatEvery: 4, spread: inputs);
        var lists = new List<(int Input, float Weight)>[outputs];
        var bias = new float[outputs];
        for (int j = 0; j < outputs; j++)
        {
            bias[j] = j % 7 == 3 ? -0.25f : -0.5f;
            lists[j] = [.. familyLists[j % families]];
            if (j % 5 == 1) lists[j][0] = (lists[j][0].Input, -lists[j][0].Weight);
        }
        var layer = LayerOf(inputs, lists, bias);
        var merged = TiledLayerPlanner.Plan(layer);
        Assert.NotEmpty(merged.Copies);
        Assert.True(merged.ComputedNonZeros < merged.NonZeros / 2);
        AssertLayoutAddsEveryListInOrder(lists, merged);
        var unmerged = TiledLayerPlanner.Plan(layer, mergeDuplicates: false);
        Assert.Empty(unmerged.Copies);
        if (inputs > TiledLayout.StageEntries)
            Assert.Contains(Enumerable.Range(0, unmerged.Blocks), b => unmerged.BlockStages[b + 1] - unmerged.BlockStages[b] > 1);
        AssertLayoutAddsEveryListInOrder(lists, unmerged);
    }

    /// <summary>
    /// For each output, a list of distinct inputs in random order, within <paramref name="spread"/>
    /// of a centre of its own (as in a banded layer, so that clustered blocks share some), with
    /// about one entry in <paramref name="repeatEvery"/> an input of the list again (with a weight
    /// of its own) at a random place. Weights are never 0 (0 marks padding).
    /// </summary>
    private static List<(int Input, float Weight)>[] ShuffledLists(Random rng, int inputs, int outputs, int minLength, int maxLength, int repeatEvery, int spread = 400)
    {
        var lists = new List<(int Input, float Weight)>[outputs];
        for (int j = 0; j < outputs; j++)
        {
            int length = rng.Next(minLength, maxLength + 1);
            var list = new List<(int Input, float Weight)>(length);
            int distinct = length - length / repeatEvery;
            int centre = rng.Next(inputs);
            while (list.Count < distinct)
            {
                int input = Math.Clamp(centre + rng.Next(-spread, spread + 1), 0, inputs - 1);
                if (!list.Exists(e => e.Input == input)) list.Add((input, Weight(rng)));
            }
            while (list.Count < length) list.Insert(rng.Next(list.Count + 1), (list[rng.Next(distinct)].Input, Weight(rng)));
            lists[j] = list;
        }
        return lists;
    }

    private static float Weight(Random rng) => rng.Next(1, 1024) / 64f * (rng.Next(2) == 0 ? -1 : 1);

    /// <summary>
    /// A layer with these lists by output (<see cref="NetworkLayer.ByOutput"/>, in their order)
    /// and the same entries by input; repeated (input, output) pairs rule out <see cref="CsrMatrix.FromCoordinates"/>.
    /// </summary>
    private static NetworkLayer LayerOf(int inputs, List<(int Input, float Weight)>[] lists, float[] bias)
    {
        int outputs = lists.Length;
        int nonZeros = lists.Sum(l => l.Count);
        var outputOffsets = new int[outputs + 1];
        var listInputs = new int[nonZeros];
        var listWeights = new float[nonZeros];
        var inputOffsets = new int[inputs + 1];
        for (int j = 0, at = 0; j < outputs; j++)
        {
            foreach (var (input, weight) in lists[j])
            {
                listInputs[at] = input;
                listWeights[at++] = weight;
                inputOffsets[input + 1]++;
            }
            outputOffsets[j + 1] = at;
        }
        for (int i = 0; i < inputs; i++) inputOffsets[i + 1] += inputOffsets[i];
        var cursor = inputOffsets[..inputs];
        var outputColumns = new int[nonZeros];
        var inputWeights = new float[nonZeros];
        for (int j = 0; j < outputs; j++)
        {
            foreach (var (input, weight) in lists[j])
            {
                int at = cursor[input]++;
                outputColumns[at] = j;
                inputWeights[at] = weight;
            }
        }
        var byInput = new CsrMatrix(inputs, outputs, inputOffsets, outputColumns, inputWeights);
        var byOutput = new CsrMatrix(outputs, inputs, outputOffsets, listInputs, listWeights);
        return new NetworkLayer(0, byInput, bias).WithByOutput(byOutput);
    }

    /// <summary>
    /// Walks the layout as the kernel does (blocks, stages, warps, warp rows, lanes) and checks
    /// that it adds every output's (input, weight) list in its order, a copy its representative's.
    /// </summary>
    private static void AssertLayoutAddsEveryListInOrder(List<(int Input, float Weight)>[] lists, TiledLayer tiled)
    {
        int outputs = lists.Length;
        const int Warps = TiledLayout.WarpsPerBlock, Lanes = TiledLayout.WarpSize;
        var rebuilt = new List<(int Input, float Weight)>[outputs];
        for (int j = 0; j < outputs; j++) rebuilt[j] = [];
        for (int b = 0; b < tiled.Blocks; b++)
        {
            for (int s = tiled.BlockStages[b]; s < tiled.BlockStages[b + 1]; s++)
            {
                int footStart = tiled.StageStarts[s], footLength = tiled.StageStarts[s + 1] - footStart;
                Assert.InRange(footLength, 1, TiledLayout.StageEntries);
                var stage = tiled.Footprint.AsSpan(footStart, footLength);
                for (int k = 1; k < stage.Length; k++) Assert.True(stage[k - 1] < stage[k], "a stage's inputs ascend, each once");
                for (int w = 0; w < Warps; w++)
                {
                    for (int r = tiled.WarpRows[s * Warps + w]; r < tiled.WarpRows[s * Warps + w + 1]; r++)
                    {
                        for (int lane = 0; lane < Lanes; lane++)
                        {
                            long slot = (long)r * Lanes + lane;
                            float value = tiled.SlotValue[slot];
                            if (value == 0f) continue; // padding (no list has a zero weight)
                            int j = tiled.Outputs[b * TiledLayout.BlockRows + w * Lanes + lane];
                            Assert.True(j >= 0, "a weight on an idle thread");
                            Assert.InRange(tiled.SlotIndex[slot], 0, footLength - 1);
                            rebuilt[j].Add((stage[tiled.SlotIndex[slot]], value));
                        }
                    }
                }
            }
        }
        for (int thread = 0; thread < tiled.Outputs.Length; thread++)
        {
            for (int c = tiled.CopyStarts[thread]; c < tiled.CopyStarts[thread + 1]; c++)
            {
                Assert.Empty(rebuilt[tiled.Copies[c]]);
                rebuilt[tiled.Copies[c]] = rebuilt[tiled.Outputs[thread]];
            }
        }
        for (int j = 0; j < outputs; j++)
        {
            Assert.Equal(lists[j].Select(e => e.Input), rebuilt[j].Select(e => e.Input));
            Assert.Equal(lists[j].Select(e => BitConverter.SingleToInt32Bits(e.Weight)), rebuilt[j].Select(e => BitConverter.SingleToInt32Bits(e.Weight)));
        }
        Assert.Equal(Enumerable.Range(0, outputs), tiled.Outputs.Where(j => j >= 0).Concat(tiled.Copies).Order());
        Assert.Equal(lists.Sum(l => (long)l.Count), tiled.NonZeros);
        Assert.True(tiled.PaddedSlots >= tiled.ComputedNonZeros);
    }
}
