using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>One entry point for every stored network.</summary>
public static class NetworkLoader
{
    /// <summary>
    /// Opens a network: a folder of layer files (or one holding <c>neuron{N}/</c>), a
    /// <c>neuron{N}.tar.gz</c> (or .tar), the binary format, an ONNX model (.onnx) or a NumPy
    /// .npz archive. The kind is judged from the content, not the name (ONNX by its name). Sources holding files open are <see cref="IDisposable"/>.
    /// </summary>
    /// <param name="layers">Use only the first L layers.</param>
    /// <param name="bias">Constant bias; by default the challenge's value for N (text formats) or the stored biases (binary).</param>
    public static ILayerSource Open(string path, int? layers = null, float? bias = null)
    {
        if (layers is < 1) throw new SpDnnDataException(path, $"the number of layers must be at least 1, not {layers}");
        if (Directory.Exists(path)) return new LayerFolderSource(path, layers, bias);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (new FileInfo(path).Length == 0) throw new SpDnnDataException(path, "empty file");
        if (Models.ModelFiles.IsModel(path))
        {
            if (bias is not null) throw new SpDnnDataException(path, "--bias applies to networks stored without biases; a model file holds its own");
            return Models.ModelFiles.Read(path, layers);
        }
        return InputFile.Detect(path) switch
        {
            FileContent.Binary => new BinaryNetworkSource(path, layers, bias),
            FileContent.Tar => new TarNetworkSource(path, layers, bias),
            _ => throw new SpDnnDataException(path, "not a network: expected a folder of n{N}-l{k}.tsv/.mtx files, a neuron{N}.tar.gz or an SpDnn binary file"),
        };
    }
}
