using System.Text.RegularExpressions;

namespace SpDnn.Formats;

/// <summary>Official layer file names, <c>n{N}-l{k}.tsv</c> (also <c>.mtx</c>, either gzipped), and folder names <c>neuron{N}</c>.</summary>
public static partial class LayerFileName
{
    /// <summary>N and the 1-based layer number from a layer file name, or null when the name is not one.</summary>
    public static (int Neurons, int Layer, bool MatrixMarket)? Parse(string path)
    {
        var match = LayerName().Match(Path.GetFileName(path));
        if (!match.Success) return null;
        if (!int.TryParse(match.Groups[1].ValueSpan, out int n) || !int.TryParse(match.Groups[2].ValueSpan, out int k) || n < 1 || k < 1) return null;
        return (n, k, match.Groups[3].Value.Equals("mtx", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>N from a folder or archive name such as <c>neuron1024</c> or <c>neuron1024.tar.gz</c>, or null.</summary>
    public static int? NeuronsFromFolder(string path)
    {
        var match = FolderName().Match(Path.GetFileName(path.TrimEnd('/', '\\')));
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, out int n) && n > 0 ? n : null;
    }

    public static string Format(int neurons, int layer, string extension = ".tsv") => $"n{neurons}-l{layer}{extension}";

    [GeneratedRegex(@"^n(\d+)-l(\d+)\.(tsv|mtx)(\.gz)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex LayerName();

    [GeneratedRegex(@"^neuron(\d+)(\.tar(\.gz)?)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex FolderName();
}
