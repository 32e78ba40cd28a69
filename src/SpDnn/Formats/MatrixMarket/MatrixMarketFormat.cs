namespace SpDnn.Formats;

/// <summary>The row of <see cref="DataFormats"/> for Matrix Market coordinate files (gzip transparently).</summary>
internal static class MatrixMarketFormat
{
    public static ReadOnlySpan<byte> Banner => "%%MatrixMarket"u8;

    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.Mtx,
        Name = "mtx",
        Extensions = [".mtx", ".mtx.gz"],
        Expresses = "Matrix Market coordinate (real, integer or pattern; general or symmetric): a square layer per file without bias, "
            + "images (rows), categories (an M x 1 or 1 x M vector, read only)",
        Signature = (_, decompressed) => decompressed.StartsWith(Banner),
        NetworkIsFolder = true,
        ReadLayer = MatrixMarketReader.ReadLayer,
        ReadImages = MatrixMarketReader.ReadImages,
        ReadCategories = MatrixMarketReader.ReadCategories,
        WriteLayer = (weights, path, description) => MatrixMarketWriter.Write(weights, path, comment: description),
        WriteImages = (images, path) =>
        {
            if (images.HasExplicitNumbers || images.FirstImageNumber != 1)
                throw new SpDnnUsageException("Matrix Market images are numbered from 1; this batch is a slice of a larger set.");
            MatrixMarketWriter.Write(images.Features, path, comment: $"{images.Count} images of {images.Neurons} pixels");
        },
    };
}
