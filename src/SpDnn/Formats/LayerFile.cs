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
        return content.AsSpan().StartsWith("%%MatrixMarket"u8)
            ? MatrixMarketReader.ReadLayer(stream, name, neurons)
            : TsvLayerReader.Read(stream, name, neurons);
    }
}
