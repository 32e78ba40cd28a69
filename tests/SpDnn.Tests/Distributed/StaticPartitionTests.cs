using SpDnn.Distributed;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Distributed;

public sealed class StaticPartitionTests
{
    [Theory]
    [InlineData(0, 3)]
    [InlineData(2, 3)]
    [InlineData(10, 3)]
    [InlineData(60000, 7)]
    [InlineData(int.MaxValue, 5)]
    public void EvenSlicesTileTheRowsInOrder(int count, int parts)
    {
        long next = 0;
        for (int p = 0; p < parts; p++)
        {
            var (start, size) = StaticPartition.EvenSlice(count, p, parts);
            Assert.Equal(next, start);
            Assert.InRange(size, count / parts, count / parts + 1);
            next = (long)start + size;
        }
        Assert.Equal(count, next);
    }

    [Fact]
    public void ProportionalSharesSumToTheCountAndFollowTheWeights()
    {
        Assert.Equal([1, 2, 1], StaticPartition.Proportional(4, [1, 2, 1]));
        Assert.Equal([0, 0, 0], StaticPartition.Proportional(0, [1, 2, 1]));
        Assert.Equal([1, 1, 0], StaticPartition.Proportional(2, [1, 1, 1]));   // ties go to the lower index
        Assert.Equal([0, 5, 0], StaticPartition.Proportional(5, [0, 1, 0]));
        var rng = new Random(4);
        for (int trial = 0; trial < 200; trial++)
        {
            int count = rng.Next(0, 1000);
            var weights = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => rng.NextDouble() * 3).ToArray();
            weights[0] += 0.01;
            var sizes = StaticPartition.Proportional(count, weights);
            Assert.Equal(count, sizes.Sum());
            for (int d = 0; d < sizes.Length; d++)
                Assert.True(Math.Abs(sizes[d] - count * weights[d] / weights.Sum()) < 1.0 + 1e-9, $"share {d} is {sizes[d]}");
        }
        Assert.Equal([0, 1, 3], StaticPartition.Starts([1, 2, 4]));
    }

    [Fact]
    public void RejectsWeightsThatCannotSplit()
    {
        Assert.Throws<ArgumentException>(() => StaticPartition.Proportional(3, []));
        Assert.Throws<ArgumentException>(() => StaticPartition.Proportional(3, [0, 0]));
        Assert.Throws<ArgumentException>(() => StaticPartition.Proportional(3, [1, -1]));
        Assert.Throws<ArgumentException>(() => StaticPartition.Proportional(3, [double.PositiveInfinity]));
    }

    [Fact]
    public void LayerRangeSourceShowsTheChosenLayers()
    {
        var network = new RandomNetworkGenerator(1, new RandomNetworkOptions { Neurons = 32, Layers = 5 });
        var view = new LayerRangeSource(network, 2, 3);
        Assert.Equal(3, view.LayerCount);
        Assert.Equal(32, view.Neurons);
        Assert.True(view.GetLayer(0).Weights.ContentEquals(network.GetLayer(2).Weights));
        Assert.True(view.GetLayer(2).Weights.ContentEquals(network.GetLayer(4).Weights));
        Assert.Contains("layers 3..5", view.Description);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.GetLayer(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerRangeSource(network, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerRangeSource(network, 0, 0));
    }

    [Fact]
    public void MergedStatisticsSumLiveAndDistinctAndTakeTheSlowestTime()
    {
        LayerStatistics[] a = [new(1, 5, 3, 0.5), new(2, 2, -1, 0.1)];
        LayerStatistics[] b = [new(1, 4, 2, 0.25), new(2, 1, 1, 0.3)];
        var merged = ResultMerger.MergeLayers([a, b], layerOffset: 10);
        Assert.Equal([new LayerStatistics(11, 9, 5, 0.5), new LayerStatistics(12, 3, -1, 0.3)], merged);
    }
}
