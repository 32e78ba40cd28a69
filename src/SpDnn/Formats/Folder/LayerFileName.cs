using System.Text.RegularExpressions;

namespace SpDnn.Formats;

/// <summary>
/// Official layer file names, <c>n{N}-l{k}</c> with the extension of a format of <see cref="DataFormats"/> whose
/// networks are folders (<c>.tsv</c>, <c>.tsv.gz</c>, <c>.mtx</c>, <c>.mtx.gz</c>), and folder names <c>neuron{N}</c>.
/// </summary>
internal static partial class LayerFileName
{
    /// <summary>N and the 1-based layer number from a layer file name, or null when the name is not one.</summary>
    public static (int Neurons, int Layer, bool MatrixMarket)? Parse(string path)
    {
        var match = LayerName().Match(Path.GetFileName(path));
        if (!match.Success) return null;
        if (!int.TryParse(match.Groups[1].ValueSpan, out int n) || !int.TryParse(match.Groups[2].ValueSpan, out int k) || n < 1 || k < 1) return null;
        string extension = match.Groups[3].Value;
        if (!DataFormats.LayerFileExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase)) return null;
        return (n, k, DataFormats.FromPath(extension)?.Id == StorageFormat.Mtx);
    }

    /// <summary>N from a folder or archive name such as <c>neuron1024</c> or <c>neuron1024.tar.gz</c>, or null.</summary>
    public static int? NeuronsFromFolder(string path)
    {
        var match = FolderName().Match(Path.GetFileName(path.TrimEnd('/', '\\')));
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, out int n) && n > 0 ? n : null;
    }

    public static string Format(int neurons, int layer, string extension = ".tsv") => $"n{neurons}-l{layer}{extension}";

    [GeneratedRegex(@"^n(\d+)-l(\d+)(\..+)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex LayerName();

    [GeneratedRegex(@"^neuron(\d+)(\.tar(\.gz)?)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex FolderName();
}
