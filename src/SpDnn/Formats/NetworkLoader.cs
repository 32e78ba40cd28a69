using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>One entry point for every stored network.</summary>
public static class NetworkLoader
{
    /// <summary>
    /// Opens a network: a folder of layer files (or one holding <c>neuron{N}/</c>), or a file of any
    /// format of <see cref="DataFormats"/> that holds networks (a <c>neuron{N}.tar.gz</c> or .tar, the
    /// binary format, an ONNX model, a NumPy .npz archive). The format is judged from the content
    /// (ONNX, which has no signature, by its name). Dispose the source when done: some hold files open.
    /// </summary>
    /// <param name="layers">Use only the first L layers.</param>
    /// <param name="bias">Constant bias; by default the challenge's value for N (text formats) or the stored biases (binary, models).</param>
    public static ILayerSource Open(string path, int? layers = null, float? bias = null)
    {
        if (layers is < 1) throw new SpDnnDataException(path, $"the number of layers must be at least 1, not {layers}");
        if (Directory.Exists(path)) return new LayerFolderSource(path, layers, bias);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (new FileInfo(path).Length == 0) throw new SpDnnDataException(path, "empty file");
        var format = DataFormats.Detect(path);
        return format.OpenNetwork is { } open
            ? open(path, layers, bias)
            : throw new SpDnnDataException(path, $"not a network but {format.Name} data: expected a folder of n{{N}}-l{{k}} layer files "
                + $"({string.Join(", ", DataFormats.LayerFileExtensions)}) or a {DataFormats.Names(f => f.OpenNetwork is not null)} file");
    }
}
