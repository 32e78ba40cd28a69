using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>One entry point for every stored image set: TSV (gzip or not), Matrix Market, binary, MNIST IDX; judged by content.</summary>
public static class ImageLoader
{
    /// <summary>Reads images for <paramref name="network"/>: N is the network's, checked against the file.</summary>
    public static ImageBatch Load(string path, ILayerSource network) => Load(path, network.Neurons);

    /// <summary>Reads images of N pixels each (N given, or stored in a binary or Matrix Market file).</summary>
    /// <param name="neurons">
    /// N when known; checked against the file (and bounds every pixel of a TSV file). Without it a TSV
    /// file's N comes from its name (<c>sparse-images-{N}.tsv</c>) or else from the largest pixel it names,
    /// which is too small when no image sets the last pixels: pass N, or the network, whenever you have it.
    /// </param>
    public static ImageBatch Load(string path, int? neurons = null)
    {
        if (Directory.Exists(path)) throw new SpDnnDataException(path, "is a folder, expected an image file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        if (new FileInfo(path).Length == 0) throw new SpDnnDataException(path, "empty file");
        var images = Idx.IdxFile.IsIdx(path) ? Idx.IdxFile.ReadImages(path) : InputFile.Detect(path) switch
        {
            FileContent.MatrixMarket => MatrixMarketReader.ReadImages(path, neurons),
            FileContent.Binary => ReadBinary(path),
            FileContent.Tar => throw new SpDnnDataException(path, "is a tar archive (a network?), expected images"),
            _ => TsvImageReader.Read(path, neurons),
        };
        if (neurons is { } n && images.Neurons != n)
            throw new SpDnnDataException(path, $"wrong N: the images have {images.Neurons} pixels, expected {n}");
        return images;
    }

    private static ImageBatch ReadBinary(string path)
    {
        using var file = new BinaryFileReader(path);
        if (file.Header.Kind != BinaryKind.Images)
            throw new SpDnnDataException(path, $"holds a {file.Header.Kind.ToString().ToLowerInvariant()}, not images", byteOffset: 12);
        var (features, _) = file.ReadSection(0);
        return new ImageBatch(features, path, file.Header.FirstImageNumber);
    }
}
