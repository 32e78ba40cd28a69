using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>Writes an image set atomically as TSV (gzip or not), Matrix Market (real general) or binary.</summary>
public static class ImageWriter
{
    public static void Write(ImageBatch images, string path, StorageFormat format)
    {
        switch (format)
        {
            case StorageFormat.Tsv:
            case StorageFormat.TsvGz:
                if (format == StorageFormat.TsvGz != Compression.WantsGzip(path))
                    throw new SpDnnUsageException($"The output name {path} does not match the format {StorageFormats.Name(format)}.");
                TsvImageWriter.Write(images, path);
                return;
            case StorageFormat.Mtx:
                if (images.HasExplicitNumbers || images.FirstImageNumber != 1)
                    throw new SpDnnUsageException("Matrix Market images are numbered from 1; this batch is a slice of a larger set.");
                MatrixMarketWriter.Write(images.Features, path, comment: $"{images.Count} images of {images.Neurons} pixels");
                return;
            case StorageFormat.Binary:
                BinaryFileWriter.WriteImages(images, path);
                return;
            default:
                throw new SpDnnUsageException($"Images cannot be written as {StorageFormats.Name(format)}.");
        }
    }
}
