using System.IO.Compression;

namespace SpDnn.Formats;

/// <summary>Output compression chosen by name: a target ending in .gz is written gzip-compressed.</summary>
internal static class Compression
{
    public static bool WantsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    public static void WriteMaybeCompressed(Stream target, string path, Action<Stream> write)
    {
        if (!WantsGzip(path))
        {
            write(target);
            return;
        }
        using var gzip = new GZipStream(target, CompressionLevel.Fastest, leaveOpen: true);
        write(gzip);
    }
}
