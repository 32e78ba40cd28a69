using SpDnn.Formats.Npz;
using SpDnn.Formats.Onnx;
using SpDnn.Model;

namespace SpDnn.Formats.Models;

/// <summary>Model files of trained networks: ONNX (by the .onnx name) and NumPy .npz archives (by their zip signature or name).</summary>
public static class ModelFiles
{
    /// <summary>Whether <paramref name="path"/> names an ONNX model or an .npz archive.</summary>
    public static bool IsModel(string path) => IsOnnx(path) || IsNpz(path);

    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    public static bool IsNpz(string path)
    {
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return true;
        if (!File.Exists(path)) return false;
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
    }

    /// <summary>Reads the model; <paramref name="layers"/> keeps the first L layers.</summary>
    public static InMemoryNetwork Read(string path, int? layers = null)
    {
        var network = IsOnnx(path) ? OnnxModelReader.Read(path) : NpzNetworkReader.Read(path);
        if (layers is not { } l || l == network.LayerCount) return network;
        if (l > network.LayerCount) throw new SpDnnDataException(path, $"{l} layers requested, the model has {network.LayerCount}");
        return network.Take(l);
    }
}
