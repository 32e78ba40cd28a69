using System.CommandLine;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Safety;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn report</c>: renders stored benchmark records; with --compare, two records side by side.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var records = new Argument<string[]>("records") { Description = "Benchmark record JSON files (from spdnn bench)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder for the rendered report", DefaultValueFactory = _ => "report" };
        var compare = new Option<bool>("--compare") { Description = "Set two records side by side (before, after) with ratios" };
        var network = new Option<string?>("--network") { Description = "Network drawn per layer, as NxL (default: the largest)" };
        var command = new Command("report", "Render benchmark records as Markdown, CSV and PNG plots") { records, output, compare, network };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(records)!;
            string folder = parse.GetValue(output)!;
            var outputs = parse.GetValue(compare)
                ? [Path.Combine(folder, "comparison.md")]
                : paths.SelectMany(p => ReportWriter.MainFiles(folder, Path.GetFileNameWithoutExtension(p)));
            OutputGuard.Check(paths.Select(p => ("record", (string?)p)), outputs.Select(f => ("--out", (string?)f)));
            var loaded = paths.Select(BenchmarkRecord.Load).ToArray();
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(compare))
            {
                if (loaded.Length != 2) throw new SpDnnUsageException("--compare takes exactly two records: before and after.");
                string table = ReportTables.Comparison(loaded[0], loaded[1]);
                Directory.CreateDirectory(folder);
                ReportWriter.WriteText(Path.Combine(folder, "comparison.md"), "# Comparison\n\n" + table);
                stdout.Write(table);
                return CliRunner.ExitOk;
            }
            var chosen = ParseNetwork(parse.GetValue(network));
            for (int i = 0; i < loaded.Length; i++)
            {
                string name = Path.GetFileNameWithoutExtension(paths[i]);
                foreach (var file in ReportWriter.Write(loaded[i], folder, name, chosen)) stdout.WriteLine(file);
                stdout.Write(ReportTables.Markdown(loaded[i]));
            }
            return CliRunner.ExitOk;
        });
        return command;
    }

    private static (int, int)? ParseNetwork(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var parts = text.Split('x', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], out int n) && int.TryParse(parts[1], out int l)) return (n, l);
        throw new SpDnnUsageException($"--network '{text}' is not of the form NxL (e.g. 1024x120).");
    }
}
