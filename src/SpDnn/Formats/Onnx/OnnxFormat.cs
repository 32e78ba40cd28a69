using SpDnn.Formats.Models;

namespace SpDnn.Formats.Onnx;

/// <summary>The row of <see cref="DataFormats"/> for ONNX models (docs/model-formats.md): known by the .onnx name (protobuf has no magic).</summary>
internal static class OnnxFormat
{
    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.Onnx,
        Name = "onnx",
        Extensions = [".onnx"],
        Expresses = "an ONNX model: a chain of MatMul/Gemm (+Add) with Relu, Clip or no activation, biases, dense or sparse initializers, "
            + "a class read-out (written with sparse initializers)",
        HoldsGeneralNetworks = true,
        OpenNetwork = (path, layers, bias) => ModelFiles.Open(OnnxModelReader.Read, path, layers, bias),
        WriteNetwork = (source, path, layers, progress) => ModelFiles.Write(OnnxModelWriter.Write, source, path, layers, progress),
    };
}
