using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads one layer in the official TSV layout (<c>row\tcol\tvalue</c>, 1-based, any order,
/// gzip transparently) into an N x N CSR matrix. Spaces are accepted as separators too.
/// </summary>
internal static class TsvLayerReader
{
    // 48 MB of entry arrays at most before any data is read (the N = 65536 challenge layers need half).
    private const int InitialEntriesLimit = 1 << 22;

    /// <param name="path">The layer file (.tsv or gzip).</param>
    /// <param name="neurons">N: every index must lie in 1..N.</param>
    public static CsrMatrix Read(string path, int neurons)
    {
        long maxEntries = InputFile.MaxEntries(path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, neurons, maxEntries);
    }

    /// <param name="name">The file's name, for messages.</param>
    /// <param name="maxEntries">The most entries the stream can hold, when known (its length says);
    /// by default a seekable stream's remaining length.</param>
    public static CsrMatrix Read(Stream stream, string name, int neurons, long? maxEntries = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(neurons, 1);
        maxEntries ??= stream.CanSeek ? SizeLimits.MaxEntries(stream.Length - stream.Position, gzip: false) : null;
        // Before anything of N's size exists: N must be in proportion to the data.
        if (maxEntries is { } bound) SizeLimits.CheckRows(name, neurons, bound, $"N={neurons}", "neurons");
        var reader = new LineReader(stream, name);
        // Room for a challenge layer (32 entries per row) up front, within what the data can hold; more grows as it arrives.
        var collector = new CoordinateCollector(name, (int)Math.Min(Math.Min(32L * neurons, maxEntries ?? long.MaxValue), InitialEntriesLimit));
        CoordinateText.Read(reader, collector, neurons, neurons, pattern: false, "row<TAB>column<TAB>value");
        if (collector.Count == 0) throw new SpDnnDataException(name, "empty file: a layer needs at least one entry");
        SizeLimits.CheckRows(name, neurons, collector.Count, $"N={neurons}", "neurons");
        return collector.Build(neurons, neurons);
    }
}
