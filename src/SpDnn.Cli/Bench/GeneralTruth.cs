using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Cli.Bench;

/// <summary>
/// The truth of a general-family network on its first <see cref="Images"/> images: the categories and
/// a SHA-256 of the final rows. Every image stays live on these networks, so the categories alone say
/// little; the digest checks every value bit for bit.
/// </summary>
/// <param name="FinalRowsDigest">Null when the file is missing or covers more images than the run has.</param>
public sealed record GeneralTruth(int Images, int[] Categories, string? FinalRowsDigest, string Source)
{
    /// <summary>Truth files never collide with the challenge's <c>neuron{N}-l{L}-categories.tsv</c>.</summary>
    public static string CategoriesFileName(int neurons, int layers, int images) => $"general-n{neurons}-l{layers}-categories-first{images}.tsv";

    public static string DigestFileName(int neurons, int layers, int images) => $"general-n{neurons}-l{layers}-final-rows-first{images}.sha256";

    /// <summary>
    /// The truth for a run on <paramref name="images"/> images from the first folder holding any: the file
    /// covering the most images not beyond the run's, else the smallest one cut to the run's images
    /// (categories only). Null when no folder holds one.
    /// </summary>
    public static GeneralTruth? Find(IEnumerable<string> folders, int neurons, int layers, int images)
    {
        var name = new Regex($"^general-n{neurons}-l{layers}-categories-first([0-9]+)\\.tsv$");
        foreach (var folder in folders.Where(Directory.Exists))
        {
            var files = Directory.EnumerateFiles(folder, $"general-n{neurons}-l{layers}-categories-first*.tsv")
                .Select(path => (Path: path, Images: CoveredImages(name.Match(Path.GetFileName(path)))))
                .Where(f => f.Images > 0)
                .ToArray();
            if (files.Length == 0) continue;
            var within = files.Where(f => f.Images <= images).ToArray();
            if (within.Length > 0)
            {
                var best = within.MaxBy(f => f.Images);
                var digestPath = Path.Combine(folder, DigestFileName(neurons, layers, best.Images));
                return new GeneralTruth(best.Images, CategoriesFile.Read(best.Path), File.Exists(digestPath) ? ReadDigest(digestPath) : null, best.Path);
            }
            var smallest = files.MinBy(f => f.Images);
            return new GeneralTruth(images, [.. CategoriesFile.Read(smallest.Path).Where(c => c <= images)], null, smallest.Path);
        }
        return null;
    }

    /// <summary>Writes the categories and the digest of <paramref name="result"/>, a run on the first images with the final rows kept.</summary>
    public static IReadOnlyList<string> Write(string folder, int neurons, int layers, InferenceResult result)
    {
        Directory.CreateDirectory(folder);
        var categories = Path.Combine(folder, CategoriesFileName(neurons, layers, result.Images));
        var digest = Path.Combine(folder, DigestFileName(neurons, layers, result.Images));
        CategoriesFile.Write(categories, result.Categories);
        AtomicFile.Write(digest, stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(Digest(result) + "\n")));
        return [categories, digest];
    }

    /// <summary>SHA-256 (lower-case hex) of the surviving image numbers and their final rows: offsets, indices, value bits.</summary>
    public static string Digest(InferenceResult result)
    {
        var rows = result.FinalFeatures ?? throw new ArgumentException("The run did not keep its final rows.", nameof(result));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(result.Categories.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(rows.RowOffsets.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(rows.ColumnIndices.AsSpan()));
        sha.AppendData(MemoryMarshal.AsBytes(rows.Values.AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static int CoveredImages(Match match) =>
        match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k : 0;

    private static string ReadDigest(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != 64 || !text.All(char.IsAsciiHexDigitLower))
            throw new SpDnnDataException(path, "expected one SHA-256 digest (64 lower-case hex digits)", line: 1);
        return text;
    }
}
