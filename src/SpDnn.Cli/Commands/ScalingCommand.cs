using System.CommandLine;
using System.Globalization;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Safety;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn scaling</c>: predicted multi-GPU time and efficiency from a single-GPU benchmark record.</summary>
public static class ScalingCommand
{
    public static Command Create()
    {
        var record = new Argument<string>("record") { Description = "Benchmark record JSON of single-device runs with per-layer statistics (from spdnn bench)" };
        var devices = new Option<string>("--gpus") { Description = "GPU counts to predict, comma-separated", DefaultValueFactory = _ => string.Join(",", ScalingTable.DefaultDevices) };
        var rebalance = NumberOption.Int("--rebalance-after", "Also predict a re-balance of live images after this many layers (0: no)", 0, int.MaxValue, 30);
        var latency = NumberOption.Real("--latency-us", "Cost of one collective step between GPUs, microseconds", 0, 1e9, 10);
        var output = new Option<string?>("--out") { Description = "Also write the table to this Markdown file" };
        var command = new Command("scaling", "Predict time and parallel efficiency on several GPUs from measured single-GPU layer times and live images")
        {
            record, devices, rebalance, latency, output,
        };
        command.SetAction(parse =>
        {
            var counts = ParseCounts(parse.GetValue(devices)!);
            OutputGuard.Check("--out", parse.GetValue(output), ("record", parse.GetValue(record)));
            var table = ScalingTable.Markdown(BenchmarkRecord.Load(parse.GetValue(record)!), counts, parse.GetValue(rebalance), parse.GetValue(latency) * 1e-6);
            if (parse.GetValue(output) is { } path) ReportWriter.WriteText(path, table);
            parse.InvocationConfiguration.Output.Write(table);
            return CliRunner.ExitOk;
        });
        return command;
    }

    private static int[] ParseCounts(string text)
    {
        var counts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p >= 1
                ? p
                : throw new SpDnnUsageException($"--gpus '{text}': expected GPU counts such as 1,2,4,8,768."))
            .ToArray();
        return counts.Length > 0 ? counts : throw new SpDnnUsageException("--gpus needs at least one GPU count.");
    }
}
