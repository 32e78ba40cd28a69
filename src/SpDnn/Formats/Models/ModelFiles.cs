using SpDnn.Formats.Npz;
using SpDnn.Formats.Onnx;
using SpDnn.Model;

namespace SpDnn.Formats.Models;

/// <summary>Model files of trained networks: ONNX (by the .onnx name) and NumPy .npz archives (by their zip signature or name).</summary>
internal static class ModelFiles
{
    /// <summary>Whether <paramref name="path"/> names an ONNX model or an .npz archive.</summary>
    public static bool IsModel(string path) => IsOnnx(path) || IsNpz(path);

    public static bool IsOnnx(string path) => Is(path, StorageFormat.Onnx);

    public static bool IsNpz(string path) => Is(path, StorageFormat.Npz);

    // By name, or by content as DataFormats recognises it (an .npz is a zip archive).
    private static bool Is(string path, StorageFormat format) =>
        DataFormats.FromPath(path)?.Id == format || (File.Exists(path) && DataFormats.Detect(path).Id == format);

    /// <summary>Opens a model through <paramref name="read"/> for <see cref="DataFormats"/>: a model holds its own biases.</summary>
    internal static ILayerSource Open(Func<string, InMemoryNetwork> read, string path, int? layers, float? bias)
    {
        if (bias is not null) throw new SpDnnDataException(path, "--bias applies to networks stored without biases; a model file holds its own");
        return Take(read(path), path, layers);
    }

    /// <summary>Writes the first <paramref name="layers"/> layers through <paramref name="write"/>, for <see cref="DataFormats"/>.</summary>
    internal static void Write(Action<ILayerSource, string> write, ILayerSource source, string path, int layers, IProgress<int>? progress)
    {
        write(layers == source.LayerCount ? source : new LayerRangeSource(source, 0, layers), path);
        progress?.Report(layers);
    }

    /// <summary>Reads the model; <paramref name="layers"/> keeps the first L layers.</summary>
    public static InMemoryNetwork Read(string path, int? layers = null) =>
        Take(IsOnnx(path) ? OnnxModelReader.Read(path) : NpzNetworkReader.Read(path), path, layers);

    private static InMemoryNetwork Take(InMemoryNetwork network, string path, int? layers)
    {
        if (layers is not { } l || l == network.LayerCount) return network;
        if (l > network.LayerCount) throw new SpDnnDataException(path, $"{l} layers requested, the model has {network.LayerCount}");
        return network.Take(l);
    }
}
