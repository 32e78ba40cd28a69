using System.Globalization;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// The seed paper's code on one H200, on the twelve challenge networks: the committed record
/// bench/results/seed-code-h200/seed-code-h200.csv (provenance in its README), embedded in the tool.
/// </summary>
public static class SeedCodeBaseline
{
    public const string FileName = "seed-code-h200.csv";

    /// <summary>The device call whose figures are the baseline: A measured all twelve networks the same day.</summary>
    public const string BaselineCall = "A";

    private static readonly Lazy<Dictionary<(int Neurons, int Layers), double>> Seconds = new(Load);

    /// <summary>The seed code's median inference seconds on the challenge network N x L, or null when not measured.</summary>
    public static double? InferenceSeconds(int neurons, int layers) => Seconds.Value.TryGetValue((neurons, layers), out var s) ? s : null;

    private static Dictionary<(int Neurons, int Layers), double> Load()
    {
        const string resource = "baselines/" + FileName;
        using var stream = typeof(SeedCodeBaseline).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The tool was built without {resource}.");
        using var reader = new StreamReader(stream);
        var header = (reader.ReadLine() ?? "").Split(',');
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new SpDnnDataException(FileName, $"no column {name}", line: 1);
        int n = Column("neurons"), l = Column("layers"), call = Column("device_call"), median = Column("inference_seconds_median");
        var seconds = new Dictionary<(int, int), double>();
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            var f = line.Split(',');
            if (f.Length != header.Length) throw new SpDnnDataException(FileName, $"{f.Length} fields, expected {header.Length}", line: lineNumber);
            if (f[call] != BaselineCall) continue;
            seconds[(int.Parse(f[n], CultureInfo.InvariantCulture), int.Parse(f[l], CultureInfo.InvariantCulture))] =
                double.Parse(f[median], CultureInfo.InvariantCulture);
        }
        return seconds;
    }
}
