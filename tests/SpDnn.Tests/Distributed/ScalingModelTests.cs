using SpDnn.Distributed;
using SpDnn.Model;

namespace SpDnn.Tests.Distributed;

public sealed class ScalingModelTests
{
    /// <summary>A run whose layer times follow t = α + β·(live images entering the layer) exactly.</summary>
    private static (List<LayerStatistics> Layers, double Total) Run(int images, int[] liveAfter, double alpha, double beta)
    {
        var layers = new List<LayerStatistics>();
        double total = 0;
        for (int k = 0; k < liveAfter.Length; k++)
        {
            double t = alpha + beta * (k == 0 ? images : liveAfter[k - 1]);
            layers.Add(new LayerStatistics(k + 1, liveAfter[k], -1, t));
            total += t;
        }
        return (layers, total);
    }

    [Fact]
    public void FitRecoversAnExactLinearCostAndPredictsOneDeviceAsMeasured()
    {
        int[] live = [6000, 3000, 800, 200, 120, 100, 100, 100, 100, 100];
        var (layers, total) = Run(10000, live, 2e-4, 3e-8);
        var model = ScalingModel.Fit(10000, 1e12, layers, total);
        Assert.Equal(2e-4, model.FixedSecondsPerLayer, 1e-12);
        Assert.Equal(3e-8, model.SecondsPerLiveImage, 1e-15);
        Assert.Equal(1, model.RSquared, 1e-9);
        var one = model.Predict(1);
        Assert.Equal(total, one.Seconds, 1e-12);
        Assert.Equal(1, one.Efficiency, 1e-12);
        Assert.Equal(1e12 / total / 1e12, one.TeraEdgesPerSecond, 1e-9);
    }

    [Fact]
    public void WithoutDeathsOrFixedCostsScalingIsPerfect()
    {
        int[] live = [.. Enumerable.Repeat(4800, 20)];
        var (layers, total) = Run(4800, live, 0, 1e-6);
        var model = ScalingModel.Fit(4800, 1e12, layers, total);
        foreach (int p in new[] { 2, 3, 8, 16 })
        {
            var prediction = model.Predict(p, collectiveLatencySeconds: 0);
            Assert.Equal(1, prediction.Efficiency, 1e-9);
            Assert.Equal(total / p, prediction.Seconds, 1e-9);
        }
    }

    [Fact]
    public void FixedCostsAndUnevenSurvivorsCostEfficiencyAndRebalanceRecoversSome()
    {
        // Mostly dead after 3 layers; few survivors per device at scale.
        int[] live = [.. new[] { 30000, 8000, 2000 }, .. Enumerable.Repeat(1800, 117)];
        var (layers, total) = Run(60000, live, 5e-5, 2e-8);
        var model = ScalingModel.Fit(60000, 60000.0 * 32 * 1024 * 120, layers, total);
        double previous = 1;
        foreach (int p in new[] { 2, 4, 8, 64, 768 })
        {
            var stat = model.Predict(p);
            var rebalanced = model.Predict(p, rebalanceAfterLayer: 3);
            Assert.InRange(stat.Efficiency, 0, previous);
            Assert.True(rebalanced.Seconds <= stat.Seconds + 1e-15, $"re-balance slower at {p}");
            Assert.True(rebalanced.Seconds >= rebalanced.BalancedSeconds - 1e-15);
            previous = stat.Efficiency;
        }
        // At 768 devices the fixed per-layer cost dominates: at most 1/(1 + α·L... ) of ideal.
        Assert.True(model.Predict(768).Efficiency < 0.2);
    }

    [Fact]
    public void ExpectedMaximumOfBinomialsMatchesEdgeCasesAndSimulation()
    {
        Assert.Equal(0, ScalingModel.ExpectedMaximumOfBinomials(100, 0, 8));
        Assert.Equal(100, ScalingModel.ExpectedMaximumOfBinomials(100, 1, 8));
        Assert.Equal(10, ScalingModel.ExpectedMaximumOfBinomials(100, 0.1, 1), 1e-12);
        // Two Binomial(2, 1/2): P(max > 0) = 1 − (1/4)², P(max > 1) = 1 − (3/4)².
        Assert.Equal(1 - 0.0625 + 1 - 0.5625, ScalingModel.ExpectedMaximumOfBinomials(2, 0.5, 2), 1e-12);
        // max of two Binomial(1, 1/2) is 1 with probability 3/4.
        Assert.Equal(0.75, ScalingModel.ExpectedMaximumOfBinomials(1, 0.5, 2), 1e-12);

        var rng = new Random(12);
        foreach (var (trials, p, copies) in new[] { (78, 0.03, 768), (7500, 0.03, 8), (200, 0.5, 6) })
        {
            double sum = 0;
            const int samples = 400;
            for (int s = 0; s < samples; s++)
            {
                int max = 0;
                for (int c = 0; c < copies; c++)
                {
                    int x = 0;
                    for (int t = 0; t < trials; t++) if (rng.NextDouble() < p) x++;
                    max = Math.Max(max, x);
                }
                sum += max;
            }
            double exact = ScalingModel.ExpectedMaximumOfBinomials(trials, p, copies);
            Assert.True(Math.Abs(exact - sum / samples) < 0.03 * exact + 0.05, $"{trials},{p},{copies}: exact {exact}, simulated {sum / samples}");
        }
    }

    [Fact]
    public void CollapsedIdenticalRowsAreTheWorkWhereMeasured()
    {
        // 1000 images all alive, but after layer 1 they are 10 distinct rows: later layers cost 10 rows' work.
        var layers = new List<LayerStatistics> { new(1, 1000, 10, 1e-3 + 1000e-6) };
        for (int k = 2; k <= 6; k++) layers.Add(new LayerStatistics(k, 1000, 10, 1e-3 + 10e-6));
        var model = ScalingModel.Fit(1000, 1e10, layers, layers.Sum(l => l.Seconds));
        Assert.Equal(1e-3, model.FixedSecondsPerLayer, 1e-12);
        Assert.Equal(1e-6, model.SecondsPerLiveImage, 1e-15);
        // On 10 devices: layer 1 splits (100 rows each); the others stay at 10 distinct rows per device at most.
        var ten = model.Predict(10, collectiveLatencySeconds: 0);
        Assert.Equal(6e-3 + 100e-6 + 5 * 10e-6, ten.Seconds, 1e-12);
    }

    [Fact]
    public void UntimedLayersSpreadTheRunTimeByLiveImages()
    {
        var layers = new List<LayerStatistics> { new(1, 50, -1, 0), new(2, 50, -1, 0) };
        var model = ScalingModel.Fit(100, 1e9, layers, 1.5);
        Assert.Equal(0, model.FixedSecondsPerLayer);
        Assert.Equal(1.5 / 150, model.SecondsPerLiveImage, 1e-15);
        Assert.Equal(1.5, model.Predict(1).Seconds, 1e-12);
    }
}
