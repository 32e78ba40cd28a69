using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

public sealed class TiledLayerPlannerTests
{
    [Theory]
    [InlineData(1, 300, 6, false)]
    [InlineData(2, 700, 40, false)]
    [InlineData(3, 700, 40, true)]
    [InlineData(4, 1024, 3, true)]
    public void LayoutHoldsEveryWeightOnceInAscendingInputOrder(int seed, int neurons, int meanRow, bool cluster)
    {
        var layer = new RandomNetworkGenerator(seed, new RandomNetworkOptions { Neurons = neurons, Layers = 1, MeanRowNonZeros = meanRow }).GetLayer(0);
        var tiled = TiledLayerPlanner.Plan(layer, cluster);
        AssertLayoutHoldsEveryWeight(layer, tiled);
        Assert.True(tiled.PaddedSlots >= tiled.NonZeros);
    }

    [Theory]
    [InlineData(1, 784, 300, true)]
    [InlineData(2, 100, 700, true)]
    [InlineData(3, 1300, 10, false)]
    public void RectangularLayersHoldEveryWeightOnceWithTheirInputsAndForm(int seed, int inputs, int outputs, bool cluster)
    {
        // A general network's layers (MNIST's 784 x 300, widening and narrowing ones): footprints
        // index the layer's inputs, every output is computed, the kernels learn inputs and form.
        var rng = new Random(seed);
        var rows = new List<int>();
        var columns = new List<int>();
        for (int i = 0; i < inputs; i++)
            for (int j = 0; j < outputs; j++)
                if (rng.Next(20) == 0) { rows.Add(i); columns.Add(j); }
        var values = rows.Select(_ => (float)(rng.NextDouble() + 0.1) * (rng.Next(2) == 0 ? -1 : 1)).ToArray();
        var w = CsrMatrix.FromCoordinates(inputs, outputs, rows.ToArray(), columns.ToArray(), values);
        var layer = new NetworkLayer(0, w, NetworkLayer.ConstantBias(outputs, 0.25f)) { Form = LayerForm.CappedRelu(6f, BiasMode.Always) };
        var tiled = TiledLayerPlanner.Plan(layer, cluster);
        AssertLayoutHoldsEveryWeight(layer, tiled);
        Assert.All(tiled.Footprint, i => Assert.InRange(i, 0, inputs - 1));
        Assert.Equal(inputs, tiled.Inputs);
        Assert.Equal(layer.Form, tiled.Form);
        var resident = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true);
        Assert.Equal(inputs, resident.Inputs);
        Assert.Equal(layer.Form, resident.Form);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void TheSplitColumnLayoutIsTheResidentOneWithEachWarpRowInterleaved(int lanes)
    {
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(5, new RandomNetworkOptions { Neurons = 300, Layers = 1, MeanRowNonZeros = 7 }));
        var layer = network.GetLayer(0);
        var plain = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true);
        var interleaved = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, splitLanes: lanes);
        Assert.Equal(plain.Outputs, interleaved.Outputs);
        Assert.Equal(plain.WarpRows, interleaved.WarpRows);
        // A bijection of the 32 positions: thread sG + g at gP + s (G = 32 / P).
        Assert.Equal(Enumerable.Range(0, 32), Enumerable.Range(0, 32).Select(t => ResidentLayerPlanner.SplitSlot(t, lanes)).Order());
        int groups = 32 / lanes;
        Assert.Equal(3 * lanes + 2, ResidentLayerPlanner.SplitSlot(2 * groups + 3, lanes));
        for (long row = 0; row < plain.SlotIndex.Length / 32; row++)
            for (int thread = 0; thread < 32; thread++)
            {
                long from = row * 32 + thread, to = row * 32 + ResidentLayerPlanner.SplitSlot(thread, lanes);
                Assert.Equal(plain.SlotIndex[from], interleaved.SlotIndex[to]);
                Assert.Equal(plain.SlotValue[from], interleaved.SlotValue[to]);
            }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(110)]
    public void TheVectorSlotLayoutIsTheResidentOneWithEachLanesRowsInFours(int partInputs)
    {
        // Uneven lists (means of 7 over 300 inputs; with parts some lanes have none in a part):
        // every warp's rows are rounded up to a multiple of four, lane l's rows 4q .. 4q + 3 at
        // 128q + 4l .. 128q + 4l + 3, the rows added by rounding zero weights.
        var network = InMemoryNetwork.Load(new RandomNetworkGenerator(6, new RandomNetworkOptions { Neurons = 300, Layers = 1, MeanRowNonZeros = 7 }));
        var layer = network.GetLayer(0);
        var plain = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, partInputs: partInputs);
        var vector = ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, partInputs: partInputs, vectorSlots: true);
        Assert.Equal(plain.Outputs, vector.Outputs);
        Assert.Equal(plain.StageStarts, vector.StageStarts);
        Assert.Equal(plain.ComputedNonZeros, vector.ComputedNonZeros);
        Assert.Equal(plain.WarpRows.Length, vector.WarpRows.Length);
        Assert.Equal(new long[] { 0, 1, 2, 3, 128, 129, 4 * 31 + 3, 128 * 5 + 4 * 7 + 2 },
            new[] { (0L, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (3, 31), (22, 7) }.Select(p => ResidentLayerPlanner.VectorSlot(p.Item1, p.Item2)));
        bool padded = false;
        for (int w = 0; w + 1 < plain.WarpRows.Length; w++)
        {
            int rows = plain.WarpRows[w + 1] - plain.WarpRows[w], vectorRows = vector.WarpRows[w + 1] - vector.WarpRows[w];
            Assert.Equal((rows + 3) / 4 * 4, vectorRows);
            Assert.Equal(0, vector.WarpRows[w] % 4);
            padded |= vectorRows > rows;
            for (int row = 0; row < vectorRows; row++)
                for (int lane = 0; lane < 32; lane++)
                {
                    long to = ResidentLayerPlanner.VectorSlot(vector.WarpRows[w] + row, lane);
                    ushort index = row < rows ? plain.SlotIndex[(plain.WarpRows[w] + row) * 32L + lane] : (ushort)0;
                    float value = row < rows ? plain.SlotValue[(plain.WarpRows[w] + row) * 32L + lane] : 0f;
                    Assert.Equal(index, vector.SlotIndex[to]);
                    Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(vector.SlotValue[to]));
                }
        }
        Assert.True(padded);
        Assert.Equal(vector.WarpRows[^1] * 32L, vector.SlotIndex.Length);
        Assert.Throws<ArgumentException>(() => ResidentLayerPlanner.Plan(layer, mergeDuplicates: true, splitLanes: 4, vectorSlots: true));
    }

    [Fact]
    public void OutputsWithEqualInputsWeightsAndBiasAreComputedOnceAndCopied()
    {
        // Families of outputs with one input list: within a family, some have other weights and
        // some another bias (those must stay apart); one family of 70 outputs is larger than a
        // thread's copies (split); outputs without inputs form a family too.
        const int n = 700;
        var rng = new Random(11);
        var lists = Enumerable.Range(0, 24).Select(_ => Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(1 + rng.Next(40)).Order().ToArray()).ToArray();
        var listWeights = lists.Select(l => l.Select(_ => (float)(rng.Next(1, 64) / 32.0)).ToArray()).ToArray();
        var rows = new List<int>();
        var cols = new List<int>();
        var values = new List<float>();
        var bias = new float[n];
        for (int j = 0; j < n; j++)
        {
            bias[j] = j % 7 == 3 ? -0.25f : -0.5f;
            if (j % 50 == 49) continue; // no inputs
            int family = j < 70 ? 0 : j % 24;
            for (int e = 0; e < lists[family].Length; e++)
            {
                rows.Add(lists[family][e]);
                cols.Add(j);
                values.Add(j % 5 == 1 && e == 0 ? -listWeights[family][e] : listWeights[family][e]);
            }
        }
        var layer = new NetworkLayer(0, CsrMatrix.FromCoordinates(n, n, [.. rows], [.. cols], [.. values]), bias);
        var merged = TiledLayerPlanner.Plan(layer);
        AssertLayoutHoldsEveryWeight(layer, merged);
        for (int t = 0; t < merged.Outputs.Length; t++)
        {
            Assert.InRange(merged.CopyStarts[t + 1] - merged.CopyStarts[t], 0, DuplicateOutputs.MaxCopies);
            for (int c = merged.CopyStarts[t]; c < merged.CopyStarts[t + 1]; c++)
                Assert.Equal(BitConverter.SingleToInt32Bits(bias[merged.Outputs[t]]), BitConverter.SingleToInt32Bits(bias[merged.Copies[c]]));
        }
        // Expected representatives: one per (list, weights, bias) class, classes split by MaxCopies + 1.
        var t2 = layer.Weights.Transpose();
        int expected = Enumerable.Range(0, n)
            .GroupBy(j => string.Join(",", t2.RowIndices(j).ToArray()) + "|" + string.Join(",", t2.RowValues(j).ToArray().Select(BitConverter.SingleToInt32Bits)) + "|" + BitConverter.SingleToInt32Bits(bias[j]))
            .Sum(g => (g.Count() + DuplicateOutputs.MaxCopies) / (DuplicateOutputs.MaxCopies + 1));
        Assert.Equal(expected, merged.Outputs.Count(j => j >= 0));
        Assert.True(merged.ComputedNonZeros < merged.NonZeros / 4);

        var unmerged = TiledLayerPlanner.Plan(layer, mergeDuplicates: false);
        AssertLayoutHoldsEveryWeight(layer, unmerged);
        Assert.Empty(unmerged.Copies);
        Assert.Equal(unmerged.NonZeros, unmerged.ComputedNonZeros);
    }

    /// <summary>Walks the layout as the kernel does and checks that it rebuilds every output's (input, weight) list, copies included.</summary>
    private static void AssertLayoutHoldsEveryWeight(NetworkLayer layer, TiledLayer tiled)
    {
        int neurons = layer.Weights.Columns;
        var rebuilt = new List<(int Input, float Weight)>[neurons];
        for (int j = 0; j < neurons; j++) rebuilt[j] = [];
        for (int b = 0; b < tiled.Blocks; b++)
        {
            for (int s = tiled.BlockStages[b]; s < tiled.BlockStages[b + 1]; s++)
            {
                int footStart = tiled.StageStarts[s], footLength = tiled.StageStarts[s + 1] - footStart;
                Assert.InRange(footLength, 1, TiledLayout.StageEntries);
                for (int w = 0; w < TiledLayout.WarpsPerBlock; w++)
                {
                    for (int r = tiled.WarpRows[s * TiledLayout.WarpsPerBlock + w]; r < tiled.WarpRows[s * TiledLayout.WarpsPerBlock + w + 1]; r++)
                    {
                        for (int lane = 0; lane < TiledLayout.WarpSize; lane++)
                        {
                            long slot = (long)r * TiledLayout.WarpSize + lane;
                            float value = tiled.SlotValue[slot];
                            int j = tiled.Outputs[b * TiledLayout.BlockRows + w * TiledLayout.WarpSize + lane];
                            if (value == 0f) continue; // padding (the generator draws no zero weights)
                            Assert.True(j >= 0, "a weight on an idle thread");
                            Assert.InRange(tiled.SlotIndex[slot], 0, footLength - 1);
                            rebuilt[j].Add((tiled.Footprint[footStart + tiled.SlotIndex[slot]], value));
                        }
                    }
                }
            }
        }
        // A copy holds its representative's list.
        for (int thread = 0; thread < tiled.Outputs.Length; thread++)
        {
            for (int c = tiled.CopyStarts[thread]; c < tiled.CopyStarts[thread + 1]; c++)
            {
                Assert.Empty(rebuilt[tiled.Copies[c]]);
                rebuilt[tiled.Copies[c]] = rebuilt[tiled.Outputs[thread]];
            }
        }
        var t = layer.Weights.Transpose();
        for (int j = 0; j < neurons; j++)
        {
            Assert.Equal(t.RowIndices(j).ToArray(), rebuilt[j].Select(e => e.Input).ToArray());
            Assert.Equal(t.RowValues(j).ToArray(), rebuilt[j].Select(e => e.Weight).ToArray());
        }
        Assert.Equal(Enumerable.Range(0, neurons), tiled.Outputs.Where(j => j >= 0).Concat(tiled.Copies).Order());
        Assert.Equal(layer.Weights.NonZeros, tiled.NonZeros);
        Assert.True(tiled.PaddedSlots >= tiled.ComputedNonZeros);
    }

    [Fact]
    public void ClusteringOutputsWithEqualInputListsRemovesPadding()
    {
        // 64 input lists of 32, each read by the 16 outputs j = g (mod 64): a clustered block
        // holds 16 whole groups (at most 512 inputs: one stage, no padding); a block of 256
        // consecutive outputs meets all 64 lists (up to 2048 inputs, several stages, padding).
        const int n = 1024;
        var rng = new Random(5);
        var lists = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(32).ToArray()).ToArray();
        var rows = new List<int>();
        var cols = new List<int>();
        for (int j = 0; j < n; j++)
        {
            foreach (int i in lists[j % 64])
            {
                rows.Add(i);
                cols.Add(j);
            }
        }
        var w = CsrMatrix.FromCoordinates(n, n, rows.ToArray(), cols.ToArray(), Enumerable.Repeat(0.0625f, rows.Count).ToArray());
        var layer = new NetworkLayer(0, w, NetworkLayer.ConstantBias(n, -0.3f));
        var clustered = TiledLayerPlanner.Plan(layer, clusterOutputs: true, mergeDuplicates: false);
        var seed = TiledLayerPlanner.Plan(layer, clusterOutputs: false);
        Assert.Equal(w.NonZeros, clustered.PaddedSlots);
        Assert.True(seed.PaddedSlots > clustered.PaddedSlots);
        Assert.True(clustered.Footprint.Length < seed.Footprint.Length);
    }

    [Fact]
    public void SeedLayoutReproducesTheOfficialPaddingStatisticsOfTheChallengeNetwork()
    {
        // The spec's figures for the seed's layout (256-row blocks of consecutive outputs,
        // 512-entry stages, 32-lane warps) on the official 1024 x 120 network.
        var network = new ChallengeNetworkGenerator(1024, 120);
        long warpRows = 0, weights = 0;
        for (int k = 0; k < network.LayerCount; k++)
        {
            var tiled = TiledLayerPlanner.Plan(network.GetLayer(k), clusterOutputs: false);
            warpRows += tiled.WarpRowCount;
            weights += tiled.NonZeros;
        }
        Assert.Equal(163_152, warpRows);
        Assert.Equal(1.327734, warpRows * 32.0 / weights, 6);

        // Clustering outputs by input lists needs no padding at all on these layers.
        var clustered = TiledLayerPlanner.Plan(network.GetLayer(7), mergeDuplicates: false);
        Assert.Equal(clustered.NonZeros, clustered.PaddedSlots);
        Assert.Equal(clustered.Blocks, clustered.Stages);

        // Each base row is expanded into 16 equal outputs: merged, a sixteenth is computed.
        var merged = TiledLayerPlanner.Plan(network.GetLayer(7));
        Assert.Equal(merged.NonZeros / 16, merged.ComputedNonZeros);
        Assert.Equal(1024 / 16, merged.Outputs.Count(j => j >= 0));
        Assert.Equal(1, merged.Blocks);
        Assert.Equal(1024 - 1024 / 16, merged.Copies.Length);
    }
}
