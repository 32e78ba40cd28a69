using System.Buffers.Binary;

namespace SpDnn.Formats.Idx;

/// <summary>The row of <see cref="DataFormats"/> for MNIST's IDX image files (read only).</summary>
internal static class IdxFormat
{
    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.Idx,
        Name = "idx",
        Expresses = "MNIST IDX unsigned-byte images (pixel / 255) and labels, gzip or not; read only",
        Signature = (_, decompressed) => decompressed.Length >= 4 && IdxFile.IsMagic(BinaryPrimitives.ReadInt32BigEndian(decompressed)),
        ReadImages = (path, _) => IdxFile.ReadImages(path),
    };
}
