using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>Reads one layer file, TSV or Matrix Market (recognised by content), gzip transparently.</summary>
public static class LayerFile
{
    public static CsrMatrix Read(string path, int neurons)
    {
        if (!File.Exists(path)) throw new SpDnnDataException(path, "missing layer file");
        return InputFile.Detect(path) == FileContent.MatrixMarket
            ? MatrixMarketReader.ReadLayer(path, neurons)
            : TsvLayerReader.Read(path, neurons);
    }

    /// <summary>A layer held in memory (an archive entry), TSV or Matrix Market by its first bytes.</summary>
    public static CsrMatrix Read(byte[] content, string name, int neurons)
    {
        using var stream = new MemoryStream(content, writable: false);
        return content.AsSpan().StartsWith(MatrixMarketBanner)
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
        var (stream, head) = PrefixStream.Peek(content, MatrixMarketBanner.Length);
        return head.Span.SequenceEqual(MatrixMarketBanner)
            ? MatrixMarketReader.ReadLayer(stream, name, neurons, maxEntries)
            : TsvLayerReader.Read(stream, name, neurons, maxEntries);
    }

    private static ReadOnlySpan<byte> MatrixMarketBanner => "%%MatrixMarket"u8;
}
