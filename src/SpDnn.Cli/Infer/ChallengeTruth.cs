using SpDnn.Formats;

namespace SpDnn.Cli.Infer;

/// <summary>The truth categories of the challenge networks shipped inside the tool (bench/truth/).</summary>
public static class ChallengeTruth
{
    public static string FileName(int neurons, int layers) => $"neuron{neurons}-l{layers}-categories.tsv";

    /// <summary>The shipped truth for N neurons and L layers, or null when none is shipped.</summary>
    public static int[]? TryGet(int neurons, int layers)
    {
        string name = FileName(neurons, layers);
        using var stream = typeof(ChallengeTruth).Assembly.GetManifestResourceStream("truth/" + name);
        return stream is null ? null : CategoriesFile.ReadText(stream, $"(embedded) {name}");
    }
}
