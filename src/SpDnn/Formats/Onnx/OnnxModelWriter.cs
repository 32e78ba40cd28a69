using Google.Protobuf;
using SpDnn.Model;
using Proto = global::Onnx;

namespace SpDnn.Formats.Onnx;

/// <summary>
/// Writes a general network with a class read-out as an ONNX model (opset 13): per layer a MatMul
/// by its [in, out] weights, an Add of its bias (left out when it is all zero), and Relu,
/// Clip(0, cap) or nothing. Input "input" [batch, features], output "logits" [batch, outputs].
/// Weights under a third dense are stored as sparse initializers (ONNX Runtime densifies them on
/// loading), the others as dense ones. A layer that adds its bias only to nonzero sums is written
/// when that equals adding it always (the activated bias is zero everywhere); otherwise, and for
/// the nonzero-rows read-out, ONNX cannot express the model and the writer says so.
/// </summary>
internal static class OnnxModelWriter
{
    private const int Opset = 13;
    private const long IrVersion = 8;

    public static void Write(ILayerSource network, string path)
    {
        if (network.ReadOut != ReadOut.Class)
            throw new ArgumentException($"{network.Description} answers with the rows still nonzero (the challenge's read-out), which ONNX cannot express; only networks with a class read-out are written as ONNX.");
        var graph = new Proto.GraphProto { Name = "spdnn" };
        string current = "input";
        graph.Input.Add(Tensor("input", network.Neurons));
        for (int k = 0; k < network.LayerCount; k++)
        {
            var layer = network.GetLayer(k);
            if (layer.Form.Bias == BiasMode.OnNonzeroSum && !BiasOnlyOnNonzeroIsAlways(layer))
                throw new ArgumentException($"Layer {k + 1} of {network.Description} adds its bias only to nonzero sums, and some activated bias is nonzero, so ONNX's MatMul + Add cannot express it.");
            string weights = $"W{k + 1}", product = $"layer{k + 1}_matmul";
            AddWeights(graph, weights, layer.Weights);
            graph.Node.Add(Node("MatMul", $"fc{k + 1}", [current, weights], product));
            current = product;
            if (layer.Bias.Any(b => b != 0f))
            {
                string bias = $"b{k + 1}", sum = $"layer{k + 1}_add";
                graph.Initializer.Add(Dense(bias, [layer.Neurons], layer.Bias));
                graph.Node.Add(Node("Add", $"bias{k + 1}", [current, bias], sum));
                current = sum;
            }
            current = AddActivation(graph, layer.Form, k + 1, current);
        }
        graph.Output.Add(Tensor(current, network.Outputs));
        var model = new Proto.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "spdnn",
            Graph = graph,
        };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = Opset });
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>Whether act(b_j) is zero for every output: then adding the bias only to nonzero sums equals adding it always.</summary>
    public static bool BiasOnlyOnNonzeroIsAlways(NetworkLayer layer)
    {
        var always = layer.Form.Activation switch
        {
            Activation.CappedRelu => LayerForm.CappedRelu(layer.Form.Cap, BiasMode.Always),
            Activation.Relu => LayerForm.Relu(BiasMode.Always),
            _ => LayerForm.Identity(BiasMode.Always),
        };
        return layer.Bias.All(b => always.Apply(0f, b) == 0f);
    }

    private static string AddActivation(Proto.GraphProto graph, LayerForm form, int layer, string current)
    {
        string output = $"layer{layer}_out";
        switch (form.Activation)
        {
            case Activation.Relu:
                graph.Node.Add(Node("Relu", $"relu{layer}", [current], output));
                return output;
            case Activation.CappedRelu:
                string min = $"clip{layer}_min", max = $"clip{layer}_max";
                graph.Initializer.Add(Dense(min, [], [0f]));
                graph.Initializer.Add(Dense(max, [], [form.Cap]));
                graph.Node.Add(Node("Clip", $"clip{layer}", [current, min, max], output));
                return output;
            default:
                return current;
        }
    }

    private static void AddWeights(Proto.GraphProto graph, string name, CsrMatrix w)
    {
        long cells = (long)w.Rows * w.Columns;
        if (w.NonZeros * 3 < cells)
        {
            // Linear indices (row-major) into [in, out], ascending, as the ONNX spec asks.
            var indices = new long[w.NonZeros];
            for (int r = 0, e = 0; r < w.Rows; r++)
                foreach (int c in w.RowIndices(r)) indices[e++] = (long)r * w.Columns + c;
            var sparse = new Proto.SparseTensorProto
            {
                Values = Dense(name, [w.NonZeros], w.Values),
                Indices = Integers($"{name}_indices", [w.NonZeros], indices),
            };
            sparse.Dims.Add([w.Rows, w.Columns]);
            graph.SparseInitializer.Add(sparse);
            return;
        }
        if (cells > Array.MaxLength) throw new ArgumentException($"{name} is too large ({w.Rows} x {w.Columns}) for a dense ONNX initializer.");
        var dense = new float[cells];
        for (int r = 0; r < w.Rows; r++)
        {
            var cols = w.RowIndices(r);
            var vals = w.RowValues(r);
            for (int e = 0; e < cols.Length; e++) dense[(long)r * w.Columns + cols[e]] = vals[e];
        }
        graph.Initializer.Add(Dense(name, [w.Rows, w.Columns], dense));
    }

    private static Proto.TensorProto Dense(string name, long[] dims, float[] values)
    {
        var t = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Float };
        t.Dims.Add(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static Proto.TensorProto Integers(string name, long[] dims, long[] values)
    {
        var t = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        t.Dims.Add(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static Proto.NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new Proto.NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    /// <summary>A float tensor [batch, width] with a symbolic batch.</summary>
    private static Proto.ValueInfoProto Tensor(string name, int width)
    {
        var shape = new Proto.TensorShapeProto();
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimValue = width });
        return new Proto.ValueInfoProto
        {
            Name = name,
            Type = new Proto.TypeProto { TensorType = new Proto.TypeProto.Types.Tensor { ElemType = (int)Proto.TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
