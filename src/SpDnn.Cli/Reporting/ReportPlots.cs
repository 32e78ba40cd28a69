using ScottPlot;
using ScottPlot.TickGenerators;

namespace SpDnn.Cli.Reporting;

/// <summary>PNG plots of benchmark records (ScottPlot). Values spanning decades are drawn on log10 axes, as points, never bars.</summary>
public static class ReportPlots
{
    public const int Width = 1000, Height = 600;

    /// <summary>
    /// TE/s per network and engine on a log axis: a marker at the median and an error bar from the slowest to
    /// the fastest repeat (no bars: a bar's length on a log axis depends on where it starts), with the seed
    /// code's H200 figures as reference marks.
    /// </summary>
    public static Plot Throughput(BenchmarkRecord record)
    {
        PlotFonts.Ensure();
        var plot = new Plot();
        var networks = record.Runs.Select(r => (r.Neurons, r.Layers)).Distinct().OrderBy(n => n.Neurons).ThenBy(n => n.Layers).ToArray();
        var engines = record.Runs.Select(r => r.Engine).Distinct().Order(StringComparer.Ordinal).ToArray();
        double groupWidth = 0.8, barWidth = groupWidth / Math.Max(1, engines.Length + 1);
        for (int e = 0; e < engines.Length; e++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            var below = new List<double>();
            var above = new List<double>();
            for (int n = 0; n < networks.Length; n++)
            {
                var run = record.Runs.FirstOrDefault(r => r.Engine == engines[e] && r.Neurons == networks[n].Neurons && r.Layers == networks[n].Layers);
                if (run is null || run.TeraEdgesPerSecond <= 0) continue;
                double median = Math.Log10(run.TeraEdgesPerSecond);
                xs.Add(n - groupWidth / 2 + barWidth * (e + 0.5));
                ys.Add(median);
                below.Add(median - Math.Log10(run.Edges / run.InferenceMaxSeconds / 1e12));
                above.Add(Math.Log10(run.Edges / run.InferenceMinSeconds / 1e12) - median);
            }
            if (xs.Count == 0) continue;
            var markers = plot.Add.Markers(xs.ToArray(), ys.ToArray(), MarkerShape.FilledCircle, 10, Palette(e));
            markers.LegendText = engines[e];
            var spread = plot.Add.ErrorBar(xs, ys, above);
            spread.YErrorNegative = below;
            spread.Color = Palette(e);
            spread.CapSize = 6;
        }
        var seedX = new List<double>();
        var seedY = new List<double>();
        for (int n = 0; n < networks.Length; n++)
        {
            var network = record.Runs.First(r => r.Neurons == networks[n].Neurons && r.Layers == networks[n].Layers);
            if (ReferenceFigures.SeedCodeTeraEdges(network) is not { } t) continue;
            seedX.Add(n - groupWidth / 2 + barWidth * (engines.Length + 0.5));
            seedY.Add(Math.Log10(t));
        }
        if (seedX.Count > 0)
        {
            var marks = plot.Add.ScatterPoints(seedX.ToArray(), seedY.ToArray());
            marks.MarkerShape = MarkerShape.FilledDiamond;
            marks.MarkerSize = 12;
            marks.Color = Colors.Black;
            marks.LegendText = ReferenceFigures.SeedCodeName;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, networks.Length).Select(i => (double)i).ToArray(),
            networks.Select(n => $"{n.Neurons}x{n.Layers}").ToArray());
        LogAxis(plot.Axes.Left);
        plot.Axes.SetLimitsX(-0.6, networks.Length - 0.4);
        int repeats = record.Runs.Select(r => r.Repeats).DefaultIfEmpty(1).Max();
        plot.Title($"Throughput per network ({record.Machine.Gpu ?? record.Machine.Cpu}): median" + (repeats > 1 ? $", whiskers from the slowest to the fastest of up to {repeats} runs" : ", one run"));
        plot.YLabel("TeraEdges/s (log scale)");
        plot.XLabel("network (neurons x layers)");
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>Live images and seconds per layer for one run, both on log axes.</summary>
    public static Plot Layers(BenchmarkRun run)
    {
        PlotFonts.Ensure();
        var plot = new Plot();
        var points = run.LayerPoints;
        AddLiveImages(plot, points);
        var timed = points.Where(p => p.Seconds > 0).ToArray();
        if (timed.Length > 0)
        {
            var time = plot.Add.ScatterLine(timed.Select(p => (double)p.Layer).ToArray(), timed.Select(p => Math.Log10(p.Seconds * 1e6)).ToArray());
            time.LegendText = "time per layer (µs)";
            time.Axes.YAxis = plot.Axes.Right;
            LogAxis(plot.Axes.Right);
            plot.Axes.Right.Label.Text = "µs per layer (log scale)";
        }
        else
        {
            // Engines time layers only when asked (e.g. gpu:time-layers=on); say so rather than leave the axis empty.
            plot.Add.Annotation("time per layer not measured in this run (only live images are shown)", Alignment.UpperRight);
        }
        LogAxis(plot.Axes.Left);
        plot.Title($"{run.Engine}, N={run.Neurons}, L={run.Layers}: live images" + (timed.Length > 0 ? " and time per layer" : " per layer"));
        plot.YLabel("live images (log scale)");
        plot.XLabel("layer");
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>Convergence: live images against distinct live rows per layer.</summary>
    public static Plot Convergence(BenchmarkRun run)
    {
        PlotFonts.Ensure();
        var plot = new Plot();
        var points = run.LayerPoints;
        AddLiveImages(plot, points);
        var measured = points.Where(p => p.DistinctRows >= 0).ToArray();
        if (measured.Length > 0)
        {
            var distinct = plot.Add.ScatterLine(measured.Select(p => (double)p.Layer).ToArray(),
                measured.Select(p => LogCount(p.DistinctRows)).ToArray());
            distinct.LegendText = "distinct live rows";
        }
        LogAxis(plot.Axes.Left);
        plot.Title($"Convergence, N={run.Neurons}, L={run.Layers} ({run.Engine}): surviving images become one identical row");
        plot.YLabel("rows (log scale)");
        plot.XLabel("layer");
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>The live images per layer, the first series of both per-layer plots.</summary>
    private static void AddLiveImages(Plot plot, IReadOnlyList<LayerPoint> points)
    {
        var live = plot.Add.ScatterLine(points.Select(p => (double)p.Layer).ToArray(), points.Select(p => LogCount(p.LiveImages)).ToArray());
        live.LegendText = "live images";
    }

    /// <summary>log10 of a row count; 0 rows is drawn just below 1 so the line stays on the log axis.</summary>
    private static double LogCount(int count) => Math.Log10(Math.Max(count, 0.5));

    private static void LogAxis(ScottPlot.IAxis axis)
    {
        axis.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString(y >= 0 ? "N0" : "G3", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static Color Palette(int index) => new ScottPlot.Palettes.Category10().GetColor(index);
}
