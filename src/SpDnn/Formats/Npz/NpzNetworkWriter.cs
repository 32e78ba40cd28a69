using System.IO.Compression;
using SpDnn.Model;

namespace SpDnn.Formats.Npz;

/// <summary>
/// Writes a network as a multi-layer .npz archive (docs/model-formats.md): "layers", "readout",
/// and per layer k its CSR weights [inputs, outputs] in save_npz's arrays (layer{k}_format,
/// _shape, _data, _indices, _indptr), its bias, activation (and cap) and bias mode. NumPy and
/// SciPy read it back with np.load and scipy.sparse.csr_matrix((data, indices, indptr), shape).
/// </summary>
internal static class NpzNetworkWriter
{
    public static void Write(ILayerSource network, string path)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Add(zip, "layers", s => NpyWriter.Longs(s, [network.LayerCount]));
            Add(zip, "readout", s => NpyWriter.Text(s, network.ReadOut == ReadOut.Class ? "class" : "nonzero_rows"));
            for (int k = 0; k < network.LayerCount; k++)
            {
                var layer = network.GetLayer(k);
                var w = layer.Weights;
                string p = $"layer{k}_";
                Add(zip, p + "format", s => NpyWriter.Bytes(s, "csr"));
                Add(zip, p + "shape", s => NpyWriter.Longs(s, [w.Rows, w.Columns], 2));
                Add(zip, p + "data", s => NpyWriter.Floats(s, w.Values, w.NonZeros));
                Add(zip, p + "indices", s => NpyWriter.Ints(s, w.ColumnIndices, w.NonZeros));
                Add(zip, p + "indptr", s => NpyWriter.Ints(s, w.RowOffsets, w.Rows + 1));
                Add(zip, p + "bias", s => NpyWriter.Floats(s, layer.Bias, layer.Bias.Length));
                Add(zip, p + "activation", s => NpyWriter.Text(s, layer.Form.Activation switch
                {
                    Activation.Relu => "relu",
                    Activation.CappedRelu => "relu_cap",
                    _ => "identity",
                }));
                if (layer.Form.Activation == Activation.CappedRelu) Add(zip, p + "cap", s => NpyWriter.Floats(s, [layer.Form.Cap]));
                Add(zip, p + "bias_mode", s => NpyWriter.Text(s, layer.Form.Bias == BiasMode.Always ? "always" : "nonzero"));
            }
        });
    }

    private static void Add(ZipArchive zip, string name, Action<Stream> write)
    {
        using var entry = zip.CreateEntry(name + ".npy", CompressionLevel.Fastest).Open();
        write(entry);
    }
}
