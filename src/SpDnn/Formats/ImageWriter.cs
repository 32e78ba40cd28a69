using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>Writes an image set atomically in any format of <see cref="DataFormats"/> that holds images (TSV, gzip or not; Matrix Market; binary).</summary>
public static class ImageWriter
{
    /// <summary>Writes <paramref name="images"/> to <paramref name="path"/> whole or not at all; a format that cannot hold images is a usage error.</summary>
    public static void Write(ImageBatch images, string path, StorageFormat format)
    {
        var row = DataFormats.Of(format);
        var write = row.WriteImages
            ?? throw new SpDnnUsageException($"Images cannot be written as {row.Name} (images: {DataFormats.Names(f => f.WriteImages is not null)}).");
        write(images, path);
    }
}
