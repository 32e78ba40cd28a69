using SpDnn.Formats;

namespace SpDnn.Data;

/// <summary>
/// The truth categories of the twelve challenge networks (bench/truth/), embedded in this assembly: for
/// N neurons and L layers, the ascending 1-based numbers of the official images whose final row is nonzero.
/// </summary>
public static class ChallengeTruth
{
    /// <summary>The truth file's name, <c>neuron{N}-l{L}-categories.tsv</c>.</summary>
    public static string FileName(int neurons, int layers) => $"neuron{neurons}-l{layers}-categories.tsv";

    /// <summary>The shipped truth for N neurons and L layers, or null when none is shipped.</summary>
    public static int[]? TryGet(int neurons, int layers)
    {
        string name = FileName(neurons, layers);
        using var stream = typeof(ChallengeTruth).Assembly.GetManifestResourceStream("truth/" + name);
        return stream is null ? null : CategoriesFile.ReadText(stream, $"(embedded) {name}");
    }
}
