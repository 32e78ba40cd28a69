using Google.Protobuf;
using SpDnn.Formats.Onnx;
using SpDnn.Model;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;
using Proto = global::Onnx;

namespace SpDnn.Tests.Formats;

/// <summary>ONNX graphs built node by node: what the reader understands, and one clear error for the rest.</summary>
public class OnnxModelReaderTests
{
    private static Proto.TensorProto Floats(string name, long[] dims, float[] values)
    {
        var t = new Proto.TensorProto { Name = name, DataType = 1 };
        t.Dims.Add(dims);
        t.FloatData.Add(values);
        return t;
    }

    private static Proto.NodeProto Node(string op, string name, string[] inputs, string output, params Proto.AttributeProto[] attributes)
    {
        var n = new Proto.NodeProto { OpType = op, Name = name };
        n.Input.Add(inputs);
        n.Output.Add(output);
        n.Attribute.Add(attributes);
        return n;
    }

    private static Proto.ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new Proto.TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new Proto.TensorShapeProto.Types.Dimension { DimParam = "batch" } : new Proto.TensorShapeProto.Types.Dimension { DimValue = d });
        return new() { Name = name, Type = new() { TensorType = new() { ElemType = 1, Shape = shape } } };
    }

    /// <summary>images [batch, 1, 2, 2] -> Flatten -> Gemm(transB) 4->3 + bias -> Clip(0, 6) -> MatMul 3->2 -> Softmax.</summary>
    private static Proto.ModelProto Chain(Action<Proto.GraphProto>? change = null)
    {
        var g = new Proto.GraphProto { Name = "test" };
        g.Input.Add(Value("x", -1, 1, 2, 2));
        g.Initializer.Add(Floats("W1", [3, 4], [1, 0, 0, 2, 0, 0, 0, 0, -1, 0.5f, 0, 0])); // [out, in]: Gemm transB
        g.Initializer.Add(Floats("b1", [3], [0.5f, -1, 0]));
        g.Initializer.Add(Floats("lo", [], [0]));
        g.Initializer.Add(Floats("hi", [], [6]));
        g.Initializer.Add(Floats("W2", [3, 2], [1, -1, 0, 0, 2, 0]));
        g.Node.Add(Node("Flatten", "flat", ["x"], "f", new Proto.AttributeProto { Name = "axis", I = 1, Type = Proto.AttributeProto.Types.AttributeType.Int }));
        g.Node.Add(Node("Gemm", "fc1", ["f", "W1", "b1"], "h", new Proto.AttributeProto { Name = "transB", I = 1, Type = Proto.AttributeProto.Types.AttributeType.Int }));
        g.Node.Add(Node("Clip", "clip1", ["h", "lo", "hi"], "a"));
        g.Node.Add(Node("MatMul", "fc2", ["a", "W2"], "z"));
        g.Node.Add(Node("Softmax", "soft", ["z"], "p", new Proto.AttributeProto { Name = "axis", I = 1, Type = Proto.AttributeProto.Types.AttributeType.Int }));
        g.Output.Add(Value("p", -1, 2));
        change?.Invoke(g);
        var m = new Proto.ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new Proto.OperatorSetIdProto { Version = 13 });
        return m;
    }

    private static string Save(TempDirectory dir, Proto.ModelProto model, string name = "m.onnx")
    {
        var path = dir.File(name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void ReadsFlattenGemmClipMatMulSoftmax()
    {
        using var dir = new TempDirectory();
        var network = OnnxModelReader.Read(Save(dir, Chain()));
        Assert.Equal(2, network.LayerCount);
        Assert.Equal(4, network.Neurons);
        Assert.Equal(ReadOut.Class, network.ReadOut);
        var first = network.GetLayer(0);
        Assert.Equal(LayerForm.CappedRelu(6f, BiasMode.Always), first.Form);
        // transB: W1 [out, in] read as [in, out]; exact zeros dropped.
        Assert.Equal(4, first.Weights.NonZeros);
        Assert.Equal([0, 2], first.Weights.RowIndices(0).ToArray());
        Assert.Equal([1f, -1f], first.Weights.RowValues(0).ToArray());
        Assert.Equal([2], first.Weights.RowIndices(1).ToArray());
        Assert.Equal([0], first.Weights.RowIndices(3).ToArray());
        Assert.Equal([2f], first.Weights.RowValues(3).ToArray());
        Assert.Equal(LayerForm.Identity(BiasMode.Always), network.GetLayer(1).Form);
        Assert.Equal([0f, 0f], network.GetLayer(1).Bias);
    }

    [Fact]
    public void AnUnsupportedOpNamesTheNodeAndItsType()
    {
        using var dir = new TempDirectory();
        var path = Save(dir, Chain(g =>
        {
            g.Node[2] = Node("Tanh", "squash", ["h"], "a");
        }));
        var e = Assert.Throws<SpDnnDataException>(() => OnnxModelReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("node \"squash\" (Tanh)", e.Message);
        Assert.Contains("MatMul/Gemm", e.Message);
    }

    [Fact]
    public void MismatchedShapesAreNamed()
    {
        using var dir = new TempDirectory();
        var path = Save(dir, Chain(g => g.Initializer[4] = Floats("W2", [4, 2], [1, -1, 0, 0, 2, 0, 1, 1])));
        var e = Assert.Throws<SpDnnDataException>(() => OnnxModelReader.Read(path));
        Assert.Contains("node \"fc2\" (MatMul)", e.Message);
        Assert.Contains("mismatched shapes", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsOneError()
    {
        using var dir = new TempDirectory();
        var bytes = Chain().ToByteArray();
        var path = dir.File("cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
        var e = Assert.Throws<SpDnnDataException>(() => OnnxModelReader.Read(path));
        Assert.Contains("not a readable ONNX model", e.Message);
    }

    [Fact]
    public void ExternalDataIsReadBesideTheModelAndItsAbsenceIsNamed()
    {
        using var dir = new TempDirectory();
        var model = Chain(g =>
        {
            var w2 = new Proto.TensorProto { Name = "W2", DataType = 1, DataLocation = Proto.TensorProto.Types.DataLocation.External };
            w2.Dims.Add([3, 2]);
            w2.ExternalData.Add(new Proto.StringStringEntryProto { Key = "location", Value = "weights.bin" });
            w2.ExternalData.Add(new Proto.StringStringEntryProto { Key = "offset", Value = "8" });
            g.Initializer[4] = w2;
        });
        var path = Save(dir, model);
        var missing = Assert.Throws<SpDnnDataException>(() => OnnxModelReader.Read(path));
        Assert.Contains("tensor \"W2\"", missing.Message);
        Assert.Contains("weights.bin", missing.Message);
        Assert.Contains("does not exist", missing.Message);

        float[] w = [1, -1, 0, 0, 2, 0];
        File.WriteAllBytes(dir.File("weights.bin"), [.. new byte[8], .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()).ToArray()]);
        var network = OnnxModelReader.Read(path);
        Assert.Equal(3, network.GetLayer(1).Weights.NonZeros);
    }

    [Fact]
    public void TheCliStopsWithExitTwoAndWritesNothing()
    {
        using var dir = new TempDirectory();
        var path = Save(dir, Chain(g => g.Node[2] = Node("Sigmoid", "", ["h"], "a")));
        var run = CliHost.Run("convert", "--input", path, "--output", dir.File("out.npz"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("node 3 (Sigmoid)", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("out.npz")));
    }
}
