namespace SpDnn.Formats;

/// <summary>
/// The rows of <see cref="DataFormats"/> for the challenge's own text layout: <c>row\tcol\tvalue</c>
/// layers, <c>image\tpixel\tvalue</c> images and one category per line; plain or gzip-compressed
/// (read either way, by content; written compressed when the name ends in .gz).
/// </summary>
internal static class TsvFormats
{
    private const string Holds = "square challenge layers without bias (one file per layer, the official bytes), images, categories";

    public static DataFormat Plain { get; } = Row(StorageFormat.Tsv, "tsv", [], ".tsv", gzip: false,
        $"text, the official layout: {Holds}");

    public static DataFormat Gzipped { get; } = Row(StorageFormat.TsvGz, "tsv.gz", ["gz"], ".tsv.gz", gzip: true,
        $"the tsv layout gzip-compressed: {Holds}");

    private static DataFormat Row(StorageFormat id, string name, string[] aliases, string extension, bool gzip, string expresses) => new()
    {
        Id = id,
        Name = name,
        Aliases = aliases,
        Extensions = [extension],
        Expresses = expresses,
        IsText = true,
        NetworkIsFolder = true,
        ReadLayer = TsvLayerReader.Read,
        ReadImages = (path, neurons) => TsvImageReader.Read(path, neurons),
        ReadCategories = path =>
        {
            using var stream = InputFile.OpenRead(path);
            return CategoriesFile.ReadText(stream, path);
        },
        WriteLayer = (weights, path, _) => TsvLayerWriter.Write(weights, path),
        WriteImages = (images, path) =>
        {
            // The name decides the compression: it must agree with the format asked for.
            if (Compression.WantsGzip(path) != gzip)
                throw new SpDnnUsageException($"The output name {path} does not match the format {name}.");
            TsvImageWriter.Write(images, path);
        },
        WriteCategories = CategoriesFile.Write,
    };
}
