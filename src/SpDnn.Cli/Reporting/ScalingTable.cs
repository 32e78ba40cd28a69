using System.Globalization;
using System.Text;
using SpDnn.Distributed;
using SpDnn.Model;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// Predicted multi-GPU times from a measured single-device record (<see cref="ScalingModel"/>),
/// beside what the seed paper reports for its Summit runs.
/// </summary>
public static class ScalingTable
{
    /// <summary>GPU counts shown by default: one host (1..8), one Summit node (6) and the seed's full run (768).</summary>
    public static IReadOnlyList<int> DefaultDevices { get; } = [1, 2, 3, 4, 6, 8, 768];

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Markdown(BenchmarkRecord record, IReadOnlyList<int> devices, int rebalanceAfter, double collectiveLatencySeconds)
    {
        var s = new StringBuilder();
        s.AppendLine($"Model fitted to {record.Machine.Gpu ?? record.Machine.Cpu} (record of {record.Date:yyyy-MM-dd}, commit `{record.Commit}`); " +
                     $"collective latency {F(collectiveLatencySeconds * 1e6, "G3")} us per step.");
        s.AppendLine();
        int shown = 0;
        foreach (var run in ReportTables.Ordered(record.Runs))
        {
            if (run.LayerPoints.Count == 0) continue;
            shown++;
            var layers = run.LayerPoints.Select(p => new LayerStatistics(p.Layer, p.LiveImages, p.DistinctRows, p.Seconds)).ToList();
            var model = ScalingModel.Fit(run.Images, run.Edges, layers, run.InferenceSeconds);
            bool rebalance = rebalanceAfter > 0 && rebalanceAfter < layers.Count;
            s.AppendLine($"**{run.Neurons} x {run.Layers}**, {run.Engine}, {run.Images} images: measured {F(model.MeasuredSeconds, "G4")} s; " +
                         $"fit per layer {F(model.FixedSecondsPerLayer * 1e6, "G4")} us + {F(model.SecondsPerLiveImage * 1e9, "G4")} ns per live image (R² {F(model.RSquared, "F3")}).");
            s.AppendLine();
            s.Append("| GPUs | predicted s | TE/s | speed-up | efficiency |");
            if (rebalance) s.Append($" re-balanced after {rebalanceAfter}: s | efficiency |");
            s.AppendLine(" perfect balance: efficiency | seed paper (Summit V100) |");
            s.Append("|---|---|---|---|---|");
            if (rebalance) s.Append("---|---|");
            s.AppendLine("---|---|");
            foreach (int p in devices)
            {
                var stat = model.Predict(p, 0, collectiveLatencySeconds);
                s.Append($"| {p} | {F(stat.Seconds, "G4")} | {F(stat.TeraEdgesPerSecond, "G4")} | {F(stat.SpeedUp, "F2")} | {F(stat.Efficiency * 100, "F1")}% |");
                if (rebalance)
                {
                    var re = model.Predict(p, rebalanceAfter, collectiveLatencySeconds);
                    s.Append($" {F(re.Seconds, "G4")} | {F(re.Efficiency * 100, "F1")}% |");
                }
                double balanced = model.SingleDeviceSeconds / (p * stat.BalancedSeconds);
                s.AppendLine($" {F(balanced * 100, "F1")}% | {SeedPaperFigures.Describe(run.Neurons, p)} |");
            }
            s.AppendLine();
        }
        if (shown == 0) s.AppendLine("No run in this record has per-layer statistics (layerPoints): nothing to model.");
        s.AppendLine(SeedPaperFigures.Note);
        return s.ToString();
    }
}

/// <summary>
/// What the project's documents hold of the seed paper's (HPEC 2020) multi-GPU figures. Its
/// Table I lists per-network times and rates for its GPU counts; only these summary figures are
/// in docs/baselines.md, so every other cell says "-".
/// </summary>
public static class SeedPaperFigures
{
    public const string Note =
        "Seed paper figures available here (docs/baselines.md): one V100 10.5-14.3 TE/s for N=1024 and 3.5-3.9 TE/s for N=65536 " +
        "(the range over L = 120, 480, 1920); 87.6% parallel efficiency on the 6 GPUs of one Summit node (N=65536); up to 180 TE/s on " +
        "768 V100s (its best network). Missing: the per-network rows of its Table I (seconds and TE/s for every network and GPU count, " +
        "and N=4096 and 16384 on one GPU); the model's absolute times are for the measured device, not a V100.";

    public static string Describe(int neurons, int devices) => (neurons, devices) switch
    {
        (1024, 1) => "10.5-14.3 TE/s",
        (65536, 1) => "3.5-3.9 TE/s",
        (65536, 6) => "87.6% efficiency",
        (_, 768) => "up to 180 TE/s (best network)",
        _ => "-",
    };
}
