using System.Formats.Tar;
using System.IO.Compression;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a network, layer by layer, atomically: a folder of <c>n{N}-l{k}</c> files (TSV in the
/// official layout, gzipped TSV or Matrix Market), a <c>neuron{N}.tar.gz</c> holding
/// <c>neuron{N}/n{N}-l{k}.tsv</c> like the official download, or the binary format (the only one
/// that keeps the biases).
/// </summary>
public static class NetworkWriter
{
    public static void Write(ILayerSource source, string path, StorageFormat format, int? layers = null, IProgress<int>? progress = null)
    {
        int count = layers ?? source.LayerCount;
        if (count < 1 || count > source.LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layers), count, $"{source.Description} has {source.LayerCount} layers.");
        int n = source.Neurons;
        if (format is StorageFormat.Onnx or StorageFormat.Npz)
        {
            var network = count == source.LayerCount ? source : new LayerRangeSource(source, 0, count);
            if (format == StorageFormat.Onnx) Onnx.OnnxModelWriter.Write(network, path);
            else Npz.NpzNetworkWriter.Write(network, path);
            progress?.Report(count);
            return;
        }
        if (!source.IsChallengeForm && format != StorageFormat.Binary)
            throw new ArgumentException($"{source.Description} is a general network ({Engines.NetworkFormCheck.Describe(source)}); "
                + $"{StorageFormats.Name(format)} holds only square challenge layers without biases: write it as bin, onnx or npz.");
        switch (format)
        {
            case StorageFormat.Binary:
                BinaryFileWriter.WriteNetwork(source, path, count, progress);
                return;
            case StorageFormat.TarGz:
                AtomicFile.Write(path, stream =>
                {
                    using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
                    using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
                    for (int k = 0; k < count; k++)
                    {
                        var content = new MemoryStream();
                        TsvLayerWriter.Write(source.GetLayer(k).Weights, content);
                        content.Position = 0;
                        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"neuron{n}/{LayerFileName.Format(n, k + 1)}")
                        {
                            DataStream = content,
                            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                        });
                        progress?.Report(k + 1);
                    }
                });
                return;
            default:
                string extension = format switch
                {
                    StorageFormat.Tsv => ".tsv",
                    StorageFormat.TsvGz => ".tsv.gz",
                    _ => ".mtx",
                };
                AtomicFile.WriteFolder(path, folder =>
                {
                    for (int k = 0; k < count; k++)
                    {
                        var weights = source.GetLayer(k).Weights;
                        var file = Path.Combine(folder, LayerFileName.Format(n, k + 1, extension));
                        if (format == StorageFormat.Mtx) MatrixMarketWriter.Write(weights, file, comment: $"layer {k + 1} of a {n}-neuron network");
                        else TsvLayerWriter.Write(weights, file);
                        progress?.Report(k + 1);
                    }
                });
                return;
        }
    }
}
