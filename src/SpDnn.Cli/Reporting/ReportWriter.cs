using SpDnn.Formats;

namespace SpDnn.Cli.Reporting;

/// <summary>Writes a record's full report into a folder: JSON, CSV, Markdown and PNG plots.</summary>
public static class ReportWriter
{
    /// <summary>Writes every rendering of <paramref name="record"/> under <paramref name="folder"/> with file names starting <paramref name="name"/>; returns the paths.</summary>
    public static IReadOnlyList<string> Write(BenchmarkRecord record, string folder, string name, (int Neurons, int Layers)? layerPlotNetwork = null)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>
        {
            WriteText(Path.Combine(folder, name + ".json"), record.ToJson()),
            WriteText(Path.Combine(folder, name + ".csv"), ReportTables.Csv(record)),
            WriteText(Path.Combine(folder, name + ".md"), $"# Benchmark {name}\n\n" + ReportTables.Markdown(record) + PlotLinks(record, name, layerPlotNetwork)),
            WritePng(Path.Combine(folder, name + "-teps.png"), () => ReportPlots.Throughput(record)),
        };
        foreach (var run in LayerPlotRuns(record, layerPlotNetwork))
        {
            string stem = PlotStem(name, run);
            written.Add(WritePng(Path.Combine(folder, stem + "-layers.png"), () => ReportPlots.Layers(run)));
            written.Add(WritePng(Path.Combine(folder, stem + "-convergence.png"), () => ReportPlots.Convergence(run)));
        }
        return written;
    }

    /// <summary>The record's JSON, CSV and Markdown that <see cref="Write"/> makes (the plots carry suffixes), to check against inputs first.</summary>
    public static IEnumerable<string> MainFiles(string folder, string name) =>
        [Path.Combine(folder, name + ".json"), Path.Combine(folder, name + ".csv"), Path.Combine(folder, name + ".md")];

    public static string WriteText(string path, string text)
    {
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
        return Path.GetFullPath(path);
    }

    private static string WritePng(string path, Func<ScottPlot.Plot> draw)
    {
        var plot = draw();
        AtomicFile.Write(path, stream => stream.Write(plot.GetImageBytes(ReportPlots.Width, ReportPlots.Height, ScottPlot.ImageFormat.Png)));
        return Path.GetFullPath(path);
    }

    /// <summary>The file name stem of a run's plots, of portable characters only (an engine spec holds ':' and '=').</summary>
    public static string PlotStem(string name, BenchmarkRun run) => PortableFileName.Of($"{name}-{run.Engine}-{run.Neurons}x{run.Layers}");

    /// <summary>Runs drawn per layer: those of the chosen network, or of the largest network present.</summary>
    public static IEnumerable<BenchmarkRun> LayerPlotRuns(BenchmarkRecord record, (int Neurons, int Layers)? network)
    {
        var withLayers = record.Runs.Where(r => r.LayerPoints.Count > 0).ToArray();
        if (withLayers.Length == 0) return [];
        var chosen = network ?? withLayers.Select(r => (r.Neurons, r.Layers)).MaxBy(n => (double)n.Neurons * n.Layers);
        return withLayers.Where(r => r.Neurons == chosen.Neurons && r.Layers == chosen.Layers);
    }

    private static string PlotLinks(BenchmarkRecord record, string name, (int Neurons, int Layers)? network)
    {
        var s = new System.Text.StringBuilder($"\n![TE/s per network]({name}-teps.png)\n");
        foreach (var run in LayerPlotRuns(record, network))
        {
            string stem = PlotStem(name, run);
            s.Append($"\n![{run.Engine} {run.Network} per layer]({stem}-layers.png)\n");
            s.Append($"\n![{run.Engine} {run.Network} convergence]({stem}-convergence.png)\n");
        }
        return s.ToString();
    }
}
