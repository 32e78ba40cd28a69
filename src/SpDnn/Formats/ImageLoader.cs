using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>One entry point for every stored image set, in any format of <see cref="DataFormats"/> that holds images; judged by content.</summary>
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
        var format = DataFormats.Detect(path);
        var images = format.ReadImages is { } read
            ? read(path, neurons)
            : throw new SpDnnDataException(path, $"holds {format.Name} data ({format.Expresses}), expected images");
        if (neurons is { } n && images.Neurons != n)
            throw new SpDnnDataException(path, $"wrong N: the images have {images.Neurons} pixels, expected {n}");
        return images;
    }
}
