using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes images as <c>image\tpixel\tvalue</c> lines (1-based, by image then pixel), the value
/// as the shortest text that reads back to the same float (so 1 is written <c>1</c>, as officially).
/// </summary>
internal static class TsvImageWriter
{
    public static void Write(ImageBatch images, Stream stream)
    {
        var m = images.Features;
        using var writer = new Utf8TextWriter(stream);
        for (int r = 0; r < m.Rows; r++)
        {
            int image = images.ImageNumber(r);
            var cols = m.RowIndices(r);
            var vals = m.RowValues(r);
            for (int e = 0; e < cols.Length; e++)
            {
                writer.Write(image);
                writer.Write((byte)'\t');
                writer.Write(cols[e] + 1);
                writer.Write((byte)'\t');
                writer.Write(vals[e]);
                writer.Write((byte)'\n');
            }
        }
    }

    public static void Write(ImageBatch images, string path) =>
        AtomicFile.Write(path, stream => Compression.WriteMaybeCompressed(stream, path, s => Write(images, s)));
}
