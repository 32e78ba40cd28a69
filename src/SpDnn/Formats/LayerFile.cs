using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads one layer file in any format of <see cref="DataFormats"/> that holds layers (TSV or Matrix
/// Market, recognised by content, gzip transparently); an archive entry is TSV or Matrix Market.
/// </summary>
internal static class LayerFile
{
    public static CsrMatrix Read(string path, int neurons)
    {
        if (!File.Exists(path)) throw new SpDnnDataException(path, "missing layer file");
        var format = DataFormats.Detect(path);
        return format.ReadLayer is { } read
            ? read(path, neurons)
            : throw new SpDnnDataException(path, $"holds {format.Name} data, not a layer ({DataFormats.Names(f => f.ReadLayer is not null)})");
    }

    /// <summary>A layer held in memory (an archive entry), TSV or Matrix Market by its first bytes.</summary>
    public static CsrMatrix Read(byte[] content, string name, int neurons)
    {
        using var stream = new MemoryStream(content, writable: false);
        return content.AsSpan().StartsWith(MatrixMarketFormat.Banner)
            ? MatrixMarketReader.ReadLayer(stream, name, neurons)
            : TsvLayerReader.Read(stream, name, neurons);
    }

    /// <summary>
    /// A layer read from a stream that cannot seek (an archive entry, parsed as it is
    /// decompressed), TSV or Matrix Market by its first bytes.
    /// </summary>
    /// <param name="maxEntries">The most entries the stream can hold (its declared length says).</param>
    public static CsrMatrix Read(Stream content, string name, int neurons, long maxEntries)
    {
        var (stream, head) = PrefixStream.Peek(content, MatrixMarketFormat.Banner.Length);
        return head.Span.SequenceEqual(MatrixMarketFormat.Banner)
            ? MatrixMarketReader.ReadLayer(stream, name, neurons, maxEntries)
            : TsvLayerReader.Read(stream, name, neurons, maxEntries);
    }
}
