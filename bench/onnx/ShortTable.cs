using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SpDnn.Bench.Onnx;

/// <summary>
/// The few figures of one or more records (JSON written by this harness) in one short table: per
/// model and thread count, ONNX Runtime's and each engine's median with its min and max, and the
/// speed-up. What a device call prints last, so its output's tail holds the answer.
/// </summary>
internal static class ShortTable
{
    public static string Of(IEnumerable<JsonObject> records)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var rows = new StringBuilder();
        foreach (var record in records)
        {
            text.AppendLine(string.Create(c, $"commit {record["commit"]}, {record["date"]}, {record["machine"]}, {record["repeat"]} turns, ONNX Runtime spinning after its runs: {record["ortSpinAfterRun"]?.ToString() ?? "yes (records before it was set)"}"));
            var all = record["rows"]!.AsArray().Select(r => r!.AsObject()).ToList();
            foreach (var row in all.Where(r => (string?)r["runner"] != "onnxruntime-cpu"))
            {
                var ort = all.First(r => (string?)r["runner"] == "onnxruntime-cpu" && (string?)r["model"] == (string?)row["model"] && (int)r["threads"]! == (int)row["threads"]!);
                rows.AppendLine(string.Create(c,
                    $"| {row["model"]} | {(int)row["threads"]!} | {Spread(ort)} | {row["runner"]} | {Spread(row)} | {(double)row["medianCpuSeconds"]!:F4} | {(double)row["speedupVsOnnxRuntime"]!:F2}x | {(double)row["pairedSpeedupVsOnnxRuntime"]!:F2}x | {(int)row["classesEqualToOnnxRuntime"]!}/{(int)row["images"]!} |"));
            }
        }
        text.AppendLine();
        text.AppendLine("| model | threads | ONNX Runtime s: median (min-max) | runner | runner s: median (min-max) | runner CPU s | vs ORT (medians) | vs ORT (paired) | classes = ORT |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        text.Append(rows);
        return text.ToString();

        string Spread(JsonObject row) =>
            string.Create(c, $"{(double)row["medianSeconds"]!:F4} ({(double)row["minSeconds"]!:F4}-{(double)row["maxSeconds"]!:F4})");
    }

    /// <summary>The records in <paramref name="files"/>, in order.</summary>
    public static string OfFiles(IEnumerable<string> files) =>
        Of(files.Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject()));
}
