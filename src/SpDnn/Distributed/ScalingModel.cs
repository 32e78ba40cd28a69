using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>
/// Predicts the time of a run on P devices (GPUs in one process or MPI ranks, each with the
/// whole network) from one measured single-device run: its per-layer times and live-image counts.
/// <para>Model, per layer k: t_k = α + β·w, where w is the work entering the layer: the live
/// rows, or the distinct live rows where the engine measured them (engines that merge
/// bit-identical rows compute each once) — a fixed cost (launches, reading the layer's weights,
/// idle tail of the device) plus a cost per row. α and β are fitted by least squares to the
/// measured layers (both kept ≥ 0).</para>
/// <para>On P devices with the static split each device holds ⌈n/P⌉ images, and a layer lasts as
/// long as on the device with the most live images. Which images die is taken as independent of
/// their position in the set, so the busiest device's live count is the expected maximum of P
/// binomial draws (⌈n/P⌉ trials, probability m/n): small slices of few survivors are uneven
/// (768 devices with ~2.6 survivors each give a busiest device with ~9). With a
/// re-balance after layer R, later layers see ⌈m/P⌉ per device. Where distinct rows were
/// measured, a device's work is its live rows capped by the distinct rows of the whole set (a
/// device holds at most all distinct rows). A job adds one all-gather of the
/// survivors and a few small reductions: <c>collectiveLatency</c> × ⌈log2 P⌉. Transfers of the
/// re-balance and reading are not modelled.</para>
/// </summary>
internal sealed class ScalingModel
{
    private readonly int[] _liveBefore;
    private readonly int[] _workBefore;

    private ScalingModel(int images, double edges, int[] liveBefore, int[] workBefore, double fixedSeconds, double perImageSeconds, double measuredSeconds, double rSquared)
    {
        Images = images;
        Edges = edges;
        _liveBefore = liveBefore;
        _workBefore = workBefore;
        FixedSecondsPerLayer = fixedSeconds;
        SecondsPerLiveImage = perImageSeconds;
        MeasuredSeconds = measuredSeconds;
        RSquared = rSquared;
    }

    public int Images { get; }
    public double Edges { get; }
    public int Layers => _liveBefore.Length;

    /// <summary>α: seconds of a layer that do not depend on the live images.</summary>
    public double FixedSecondsPerLayer { get; }

    /// <summary>β: seconds per live (distinct, where measured) row per layer.</summary>
    public double SecondsPerLiveImage { get; }

    /// <summary>The measured single-device time (sum of layer times, or the run's time when layers were not timed).</summary>
    public double MeasuredSeconds { get; }

    /// <summary>Share of the variance of the layer times the fit explains (1 when layers were not timed).</summary>
    public double RSquared { get; }

    /// <summary>
    /// Fits the model to a single-device run: <paramref name="layers"/> in order, each with the
    /// live images after it and its seconds. Without per-layer times (all 0) the run's
    /// <paramref name="inferenceSeconds"/> is spread in proportion to the live images (α = 0).
    /// </summary>
    public static ScalingModel Fit(int images, double edges, IReadOnlyList<LayerStatistics> layers, double inferenceSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        if (layers.Count == 0) throw new ArgumentException("The run has no per-layer statistics to model.", nameof(layers));
        var liveBefore = new int[layers.Count];
        var workBefore = new int[layers.Count];
        for (int k = 0; k < layers.Count; k++)
        {
            liveBefore[k] = k == 0 ? images : layers[k - 1].LiveImages;
            workBefore[k] = k == 0 || layers[k - 1].DistinctRows < 0 ? liveBefore[k] : Math.Min(layers[k - 1].DistinctRows, liveBefore[k]);
        }
        double measured = layers.Sum(l => l.Seconds);
        if (measured <= 0)
        {
            double work = workBefore.Sum(m => (double)m);
            return new ScalingModel(images, edges, liveBefore, workBefore, 0, work > 0 ? inferenceSeconds / work : 0, inferenceSeconds, 1);
        }
        var x = workBefore;

        // Least squares of t = α + β·m, then clamp to α, β ≥ 0 (refitting the other alone).
        int count = layers.Count;
        double meanM = x.Average(m => (double)m), meanT = measured / count;
        double sxx = 0, sxy = 0, syy = 0;
        for (int k = 0; k < count; k++)
        {
            double dx = x[k] - meanM, dy = layers[k].Seconds - meanT;
            sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
        }
        // Live counts that never change cannot separate α from β: take the cost as all per image then.
        double beta = sxx > 0 ? sxy / sxx : meanM > 0 ? meanT / meanM : 0;
        double alpha = meanT - beta * meanM;
        if (beta < 0) { beta = 0; alpha = meanT; }
        if (alpha < 0)
        {
            alpha = 0;
            double smm = 0, smt = 0;
            for (int k = 0; k < count; k++) { smm += (double)x[k] * x[k]; smt += x[k] * layers[k].Seconds; }
            beta = smm > 0 ? smt / smm : 0;
        }
        double residual = 0;
        for (int k = 0; k < count; k++)
        {
            double e = layers[k].Seconds - (alpha + beta * x[k]);
            residual += e * e;
        }
        double r2 = syy > 0 ? Math.Max(0, 1 - residual / syy) : 1;
        return new ScalingModel(images, edges, liveBefore, workBefore, alpha, beta, measured, r2);
    }

    /// <summary>The predicted run on <paramref name="devices"/> devices.</summary>
    /// <param name="devices">P ≥ 1.</param>
    /// <param name="rebalanceAfterLayer">Live images are split evenly again after this many layers; 0 for never.</param>
    /// <param name="collectiveLatencySeconds">Cost of one collective step between devices.</param>
    public ScalingPrediction Predict(int devices, int rebalanceAfterLayer = 0, double collectiveLatencySeconds = 10e-6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rebalanceAfterLayer);
        int slice = (Images + devices - 1) / devices;
        var busiestCache = new Dictionary<int, double>();
        double seconds = 0, balancedSeconds = 0;
        for (int k = 0; k < Layers; k++)
        {
            int live = _liveBefore[k], distinct = _workBefore[k];
            double even = Math.Min(distinct, Math.Ceiling((double)live / devices));
            double busiest = rebalanceAfterLayer > 0 && k >= rebalanceAfterLayer
                ? even
                : Math.Min(distinct, Busiest(busiestCache, live, slice, devices));
            seconds += FixedSecondsPerLayer + SecondsPerLiveImage * busiest;
            balancedSeconds += FixedSecondsPerLayer + SecondsPerLiveImage * even;
        }
        double communication = devices > 1 ? collectiveLatencySeconds * Math.Ceiling(Math.Log2(devices)) : 0;
        seconds += communication;
        double single = SingleDeviceSeconds;
        return new ScalingPrediction(devices, seconds, Edges / seconds / 1e12, single / seconds, single / (devices * seconds),
            balancedSeconds + communication);
    }

    /// <summary>The model's own single-device time (the baseline of speed-up and efficiency).</summary>
    public double SingleDeviceSeconds => _workBefore.Sum(m => FixedSecondsPerLayer + SecondsPerLiveImage * m);

    private double Busiest(Dictionary<int, double> cache, int live, int slice, int devices)
    {
        if (devices == 1) return live;
        if (!cache.TryGetValue(live, out double value))
            cache[live] = value = ExpectedMaximumOfBinomials(slice, Math.Min(1.0, (double)live / Images), devices);
        return value;
    }

    /// <summary>E[max of <paramref name="copies"/> independent Binomial(<paramref name="trials"/>, <paramref name="probability"/>)].</summary>
    public static double ExpectedMaximumOfBinomials(int trials, double probability, int copies)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        if (probability <= 0 || trials == 0) return 0;
        if (probability >= 1) return trials;
        if (copies == 1) return trials * probability;
        // E[max] = Σ_{x=0}^{trials-1} P(max > x) = Σ (1 − F(x)^copies), F the binomial CDF; pmf by recurrence in logs.
        double logP = Math.Log(probability), logQ = Math.Log(1 - probability);
        double logPmf = trials * logQ; // P(X = 0)
        double cdf = 0, expected = 0, mean = trials * probability;
        for (int x = 0; x < trials; x++)
        {
            cdf = Math.Min(1.0, cdf + Math.Exp(logPmf));
            double tail = 1 - Math.Pow(cdf, copies);
            expected += tail;
            if (x > mean && tail < 1e-10) break; // the rest adds less than trials·1e-10
            logPmf += Math.Log((double)(trials - x) / (x + 1)) + logP - logQ;
        }
        return expected;
    }
}

/// <param name="Devices">P.</param>
/// <param name="Seconds">Predicted inference time with the static split (and the re-balance, when asked).</param>
/// <param name="TeraEdgesPerSecond">Challenge edges over <paramref name="Seconds"/>.</param>
/// <param name="SpeedUp">Single-device model time over <paramref name="Seconds"/>.</param>
/// <param name="Efficiency">Speed-up over P.</param>
/// <param name="BalancedSeconds">The bound with live images perfectly even in every layer.</param>
internal sealed record ScalingPrediction(int Devices, double Seconds, double TeraEdgesPerSecond, double SpeedUp, double Efficiency, double BalancedSeconds);
