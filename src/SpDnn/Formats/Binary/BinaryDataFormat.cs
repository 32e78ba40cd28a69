using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>The row of <see cref="DataFormats"/> for the SpDnn binary format (docs/binary-format.md).</summary>
internal static class BinaryDataFormat
{
    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.Binary,
        Name = "bin",
        Aliases = ["binary"],
        Extensions = [".bin"],
        Expresses = "SpDnn binary, memory-mapped and checksummed: a network with its per-neuron biases (general networks: layer shapes, "
            + "activations, read-out), or images with their first image number",
        Signature = (_, decompressed) => decompressed.StartsWith(BinaryFormat.Magic),
        HoldsGeneralNetworks = true,
        OpenNetwork = (path, layers, bias) => new BinaryNetworkSource(path, layers, bias),
        ReadImages = (path, _) => ReadImages(path),
        WriteNetwork = (source, path, layers, progress) => BinaryFileWriter.WriteNetwork(source, path, layers, progress),
        WriteImages = BinaryFileWriter.WriteImages,
        ContentOf = path =>
        {
            using var file = new BinaryFileReader(path);
            return file.Header.Kind == BinaryKind.Network ? FormatHolds.Network : FormatHolds.Images;
        },
    };

    private static ImageBatch ReadImages(string path)
    {
        using var file = new BinaryFileReader(path);
        if (file.Header.Kind != BinaryKind.Images)
            throw new SpDnnDataException(path, $"holds a {file.Header.Kind.ToString().ToLowerInvariant()}, not images", byteOffset: 12);
        // An image set is gigabytes at N = 65536: copied and checked on all cores (shared with the
        // planner's workers when `spdnn infer` reads it beside planning).
        var (features, _) = file.ReadSection(0, parallel: file.Section(0).Length >= BinaryFileReader.ParallelBytes);
        return new ImageBatch(features, path, file.Header.FirstImageNumber);
    }
}
