using SpDnn.Formats.Idx;
using SpDnn.Formats.Npz;
using SpDnn.Formats.Onnx;

namespace SpDnn.Formats;

/// <summary>
/// Every storage format, one row each (<see cref="DataFormat"/>): the one place that says what a
/// format is called, how its files are named and recognised, what it can express, and what reads
/// and writes it. The loaders and writers (<see cref="NetworkLoader"/>, <see cref="ImageLoader"/>,
/// <see cref="CategoriesFile"/>, <see cref="NetworkWriter"/>, <see cref="ImageWriter"/>), the
/// folder scan of layer files, <see cref="StorageFormats"/> (the command line's <c>--to</c>) and
/// <c>spdnn convert</c>'s help all read this table.
/// <para>
/// Adding a format: put its reader and writer in a folder of their own under Formats/, describe it
/// there in a row (a static class like Tsv/TsvFormats.cs), add the row to <see cref="All"/> and a
/// value to <see cref="StorageFormat"/>. Nothing else needs to know it.
/// </para>
/// </summary>
public static class DataFormats
{
    /// <summary>Every format. Content is matched in this order; for one layer stored in several forms, the first is read.</summary>
    public static IReadOnlyList<DataFormat> All { get; } =
    [
        TsvFormats.Plain,
        TsvFormats.Gzipped,
        MatrixMarketFormat.Row,
        TarFormat.Row,
        BinaryDataFormat.Row,
        OnnxFormat.Row,
        NpzFormat.Row,
        IdxFormat.Row,
    ];

    /// <summary>The format of a row-per-line text file that nothing else recognises.</summary>
    public static DataFormat Text => TsvFormats.Plain;

    /// <summary>The row of <paramref name="id"/>; every value of <see cref="StorageFormat"/> has one.</summary>
    public static DataFormat Of(StorageFormat id) =>
        All.FirstOrDefault(f => f.Id == id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, "No such format in the table.");

    /// <summary>The format called <paramref name="name"/> (or one of its aliases) on the command line.</summary>
    public static DataFormat Parse(string name) =>
        All.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || f.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase))
        ?? throw new SpDnnUsageException($"Unknown format \"{name}\" ({Names(f => true)}).");

    /// <summary>The format an output name implies (its longest matching extension), or null.</summary>
    public static DataFormat? FromPath(string path) =>
        All.SelectMany(f => f.Extensions.Select(e => (Format: f, Extension: e)))
            .Where(x => path.EndsWith(x.Extension, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(x => x.Extension.Length)
            .Select(x => x.Format)
            .FirstOrDefault();

    /// <summary>
    /// The format of an existing file: the first whose signature matches its first bytes (stored,
    /// and with gzip undone); else one known by name only whose extension it has; else text.
    /// </summary>
    public static DataFormat Detect(string path)
    {
        var stored = Head(path, decompress: false);
        var decompressed = InputFile.IsGzip(path) ? Head(path, decompress: true) : stored;
        foreach (var format in All)
            if (format.Signature is { } signature && signature(stored, decompressed)) return format;
        return FromPath(path) is { Signature: null, IsText: false } named ? named : Text;
    }

    /// <summary>The names of the formats that <paramref name="which"/> selects, for messages: "tsv, mtx or bin".</summary>
    public static string Names(Func<DataFormat, bool> which)
    {
        var names = All.Where(which).Select(f => f.Name).ToArray();
        return names.Length <= 1 ? string.Concat(names) : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    /// <summary>The endings of layer files in a network folder, in order of preference when a layer exists in several forms.</summary>
    public static IReadOnlyList<string> LayerFileExtensions { get; } =
        [.. All.Where(f => f.NetworkIsFolder && f.ReadLayer is not null).SelectMany(f => f.Extensions).Distinct()];

    private static byte[] Head(string path, bool decompress)
    {
        var head = new byte[512];
        using Stream stream = decompress ? InputFile.OpenRead(path, 1 << 16) : File.OpenRead(path);
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..n];
    }
}
