using System.Formats.Tar;
using System.IO.Compression;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a network as <c>neuron{N}.tar.gz</c> like the official download: entries
/// <c>neuron{N}/n{N}-l{k}.tsv</c> in the official layout, in layer order, atomically.
/// </summary>
internal static class TarNetworkWriter
{
    public static void Write(ILayerSource source, string path, int layers, IProgress<int>? progress)
    {
        int n = source.Neurons;
        AtomicFile.Write(path, stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
            using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
            for (int k = 0; k < layers; k++)
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
    }
}
