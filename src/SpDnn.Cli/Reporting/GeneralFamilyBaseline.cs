using System.Text.Json;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// The seed code's H200 times on the general family (issue 14), read from the committed data file
/// bench/baselines/seed-code-general-h200.json (embedded in the tool), which says where they come from.
/// </summary>
public static class GeneralFamilyBaseline
{
    public const string FileName = "seed-code-general-h200.json";

    private static readonly Lazy<BaselineFile> File = new(Load);

    /// <summary>Where the figures come from (the file's provenance line).</summary>
    public static string Provenance => File.Value.Provenance;

    public static string Measured => File.Value.Measured;

    /// <summary>The images the times are for: a ratio is shown only for runs on all of them.</summary>
    public static int Images => File.Value.Images;

    /// <summary>The seed code's inference seconds on the general N x L network, or null when it was not measured.</summary>
    public static double? SeedCodeSeconds(int neurons, int layers) =>
        File.Value.Times.FirstOrDefault(t => t.Neurons == neurons && t.Layers == layers)?.SeedCodeSeconds;

    private static BaselineFile Load()
    {
        const string resource = "baselines/" + FileName;
        using var stream = typeof(GeneralFamilyBaseline).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The tool was built without {resource}.");
        return JsonSerializer.Deserialize<BaselineFile>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new SpDnnDataException(FileName, "empty baseline file");
    }

    private sealed record BaselineFile(string Provenance, string Measured, int Images, IReadOnlyList<BaselineTime> Times);

    private sealed record BaselineTime(int Neurons, int Layers, double SeedCodeSeconds);
}
