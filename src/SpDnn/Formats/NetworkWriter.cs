using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a network, layer by layer, atomically, in any format of <see cref="DataFormats"/> that
/// holds networks: a folder of <c>n{N}-l{k}</c> files (TSV in the official layout, gzipped TSV or
/// Matrix Market), a <c>neuron{N}.tar.gz</c> like the official download, the binary format (which
/// keeps the biases), an ONNX model or a NumPy .npz archive.
/// </summary>
public static class NetworkWriter
{
    /// <summary>Writes the first <paramref name="layers"/> layers (all by default), reporting layers done to <paramref name="progress"/>; a general network is refused by formats that hold only the challenge's form.</summary>
    public static void Write(ILayerSource source, string path, StorageFormat format, int? layers = null, IProgress<int>? progress = null)
    {
        int count = layers ?? source.LayerCount;
        if (count < 1 || count > source.LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layers), count, $"{source.Description} has {source.LayerCount} layers.");
        var row = DataFormats.Of(format);
        if (!source.IsChallengeForm && !row.HoldsGeneralNetworks)
            throw new ArgumentException($"{source.Description} is a general network ({Engines.NetworkFormCheck.Describe(source)}); "
                + $"{row.Name} holds only square challenge layers without biases: write it as {DataFormats.Names(f => f.HoldsGeneralNetworks)}.");
        if (row.WriteNetwork is { } write) write(source, path, count, progress);
        else if (row.NetworkIsFolder) LayerFolderWriter.Write(source, path, row, count, progress);
        else throw new SpDnnUsageException($"A network cannot be written as {row.Name} (networks: {DataFormats.Names(f => (f.Writes & FormatHolds.Network) != 0)}).");
    }
}
