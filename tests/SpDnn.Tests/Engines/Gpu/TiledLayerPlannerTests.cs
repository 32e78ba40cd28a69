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

        // Walk the layout as the kernel does and rebuild every output's (input, weight) list.
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
        var t = layer.Weights.Transpose();
        for (int j = 0; j < neurons; j++)
        {
            Assert.Equal(t.RowIndices(j).ToArray(), rebuilt[j].Select(e => e.Input).ToArray());
            Assert.Equal(t.RowValues(j).ToArray(), rebuilt[j].Select(e => e.Weight).ToArray());
        }
        Assert.Equal(Enumerable.Range(0, neurons), tiled.Outputs.Where(j => j >= 0).Order());
        Assert.Equal(layer.Weights.NonZeros, tiled.NonZeros);
        Assert.True(tiled.PaddedSlots >= tiled.NonZeros);
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
        var clustered = TiledLayerPlanner.Plan(layer, clusterOutputs: true);
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
        var clustered = TiledLayerPlanner.Plan(network.GetLayer(7));
        Assert.Equal(clustered.NonZeros, clustered.PaddedSlots);
        Assert.Equal(clustered.Blocks, clustered.Stages);
    }
}
