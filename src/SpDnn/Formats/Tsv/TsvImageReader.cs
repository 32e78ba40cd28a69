using System.Text.RegularExpressions;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads images in the official TSV layout (<c>image\tpixel\tvalue</c>, 1-based, gzip
/// transparently). The value is parsed as a number (the official files hold 1, but nothing
/// assumes it). Images are numbered 1..M, M being the largest image index.
/// </summary>
internal static partial class TsvImageReader
{
    /// <param name="neurons">N, when known: every pixel must lie in 1..N. Otherwise taken from a
    /// name like <c>sparse-images-1024.tsv</c>, else from the largest pixel index.</param>
    public static ImageBatch Read(string path, int? neurons = null)
    {
        // Room for all entries up front (a line takes at least about 12 bytes), so the parsers
        // never wait for the arrays to grow; a gzip file's size says too little to guess.
        long estimate = InputFile.IsGzip(path) ? 0 : new FileInfo(path).Length / 12;
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, neurons ?? NeuronsFromName(path), (int)Math.Min(estimate, Array.MaxLength));
    }

    public static ImageBatch Read(Stream stream, string name, int? neurons, int capacityHint = 0)
    {
        var reader = new LineReader(stream, name);
        var collector = new CoordinateCollector(name, capacityHint);
        CoordinateText.Read(reader, collector, 0, neurons ?? 0, pattern: false, "image<TAB>pixel<TAB>value");
        if (collector.Count == 0) throw new SpDnnDataException(name, "empty file: no image entries");
        int n = neurons ?? collector.MaxColumn + 1;
        // Images are numbered 1..M with M the largest number: refuse numbers that would make most of them empty.
        long images = collector.MaxRow + 1L;
        if (images > SizeLimits.MaxRowsFor(collector.Count))
            SizeLimits.CheckRows(name, images, collector.Count, $"image number {images}", "images", collector.LineOfMaxRow());
        return new ImageBatch(collector.Build((int)images, n), name);
    }

    /// <summary>N from an official image file name (<c>sparse-images-{N}</c>), or null.</summary>
    public static int? NeuronsFromName(string path)
    {
        var match = ImageName().Match(Path.GetFileName(path));
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, out int n) && n > 0 ? n : null;
    }

    [GeneratedRegex(@"^sparse-images-(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex ImageName();
}
