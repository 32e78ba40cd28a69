using Google.Protobuf;
using SpDnn.Model;
using Proto = global::Onnx;

namespace SpDnn.Formats.Onnx;

/// <summary>
/// Reads an ONNX model that is a chain of fully connected layers into a general network with a
/// class read-out: per layer a MatMul by a constant [in, out] matrix or a Gemm (transB allowed,
/// alpha = beta = 1), an optional Add of a constant [out] bias, and Relu, Clip(0[, max]) or no
/// activation. Leading Flatten/Reshape (to [batch, features]) and trailing Softmax/ArgMax (which
/// leave the argmax unchanged) are understood; Identity passes through. Weights are dense
/// initializers (exact zeros dropped), sparse initializers or Constant nodes. Anything else is one
/// <see cref="SpDnnDataException"/> naming the node, its op type and why.
/// </summary>
internal static class OnnxModelReader
{
    public static InMemoryNetwork Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        Proto.ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = Proto.ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SpDnnDataException(path, $"not a readable ONNX model (truncated or not protobuf): {e.Message}");
        }
        if (model.Graph is not { } graph || graph.Node.Count == 0)
            throw new SpDnnDataException(path, "not an ONNX model: it has no graph nodes");
        return new ChainBuilder(path, graph).Build();
    }

    /// <summary>Walks the nodes in order, following the one tensor that flows from the input to the output.</summary>
    private sealed class ChainBuilder
    {
        private readonly string _path;
        private readonly Proto.GraphProto _graph;
        private readonly OnnxTensors _tensors;
        private readonly Dictionary<string, Proto.TensorProto> _dense = [];
        private readonly Dictionary<string, Proto.SparseTensorProto> _sparse = [];
        private readonly List<NetworkLayer> _layers = [];
        private string _current;
        private int? _declaredFeatures;

        // The layer being assembled: weights, then maybe a bias, then maybe an activation.
        private CsrMatrix? _weights;
        private float[]? _bias;
        private LayerForm? _activation;
        private bool _ended;

        public ChainBuilder(string path, Proto.GraphProto graph)
        {
            _path = path;
            _graph = graph;
            _tensors = new OnnxTensors(path);
            foreach (var t in graph.Initializer) _dense[t.Name] = t;
            foreach (var s in graph.SparseInitializer) if (s.Values is { } v) _sparse[v.Name] = s;
            var inputs = graph.Input.Where(i => !_dense.ContainsKey(i.Name) && !_sparse.ContainsKey(i.Name)).ToArray();
            if (inputs.Length != 1)
                throw new SpDnnDataException(path, $"the graph has {inputs.Length} inputs besides its initializers ({string.Join(", ", inputs.Select(i => i.Name))}); SpDnn reads models with one image input");
            _current = inputs[0].Name;
            _declaredFeatures = FeaturesOf(inputs[0]);
        }

        public InMemoryNetwork Build()
        {
            for (int n = 0; n < _graph.Node.Count; n++)
            {
                var node = _graph.Node[n];
                if (node.OpType == "Constant")
                {
                    AddConstant(node, n);
                    continue;
                }
                Step(node, n);
            }
            FinishLayer();
            if (_layers.Count == 0) throw new SpDnnDataException(_path, "the model has no MatMul or Gemm layer");
            if (!_graph.Output.Any(o => o.Name == _current))
                throw new SpDnnDataException(_path, $"the chain ends in tensor \"{_current}\", which is not a graph output ({string.Join(", ", _graph.Output.Select(o => o.Name))})");
            if (_declaredFeatures is { } f && f != _layers[0].Inputs)
                throw new SpDnnDataException(_path, $"the input \"{_graph.Input[0].Name}\" has {f} features but the first layer takes {_layers[0].Inputs}");
            return new InMemoryNetwork(_layers, $"{_path} (ONNX, {_layers.Count} layers)", ReadOut.Class);
        }

        private void Step(Proto.NodeProto node, int index)
        {
            if (!node.Input.Contains(_current))
                throw Unsupported(node, index, $"it does not continue the chain: it reads {Quote(node.Input)}, the chain is at \"{_current}\" (SpDnn imports a single chain of layers)");
            if (node.Output.Count < 1) throw Unsupported(node, index, "it has no output");
            if (_ended && node.OpType is not ("Softmax" or "ArgMax" or "Identity"))
                throw Unsupported(node, index, "only Softmax, ArgMax or Identity may follow a Softmax or ArgMax");
            switch (node.OpType)
            {
                case "Identity":
                    break;
                case "Flatten":
                    Leading(node, index);
                    if (Int(node, "axis", 1) != 1) throw Unsupported(node, index, "only axis = 1 (keep the batch, flatten the rest) is supported");
                    break;
                case "Reshape":
                    Leading(node, index);
                    CheckReshape(node, index);
                    break;
                case "MatMul":
                    StartLayer(node, index, Operand(node, index, 1 - node.Input.IndexOf(_current), transpose: false));
                    break;
                case "Gemm":
                    Gemm(node, index);
                    break;
                case "Add":
                    AddBias(node, index);
                    break;
                case "Relu":
                    SetActivation(node, index, LayerForm.Relu(BiasMode.Always));
                    break;
                case "Clip":
                    Clip(node, index);
                    break;
                case "Softmax":
                case "ArgMax":
                    Trailing(node, index);
                    break;
                default:
                    throw Unsupported(node, index, "SpDnn imports chains of MatMul/Gemm (+ Add) with Relu, Clip(0[, max]) or no activation, "
                        + "with leading Flatten/Reshape and trailing Softmax/ArgMax");
            }
            _current = node.Output[0];
        }

        private void Leading(Proto.NodeProto node, int index)
        {
            if (_layers.Count > 0 || _weights is not null) throw Unsupported(node, index, "it may only come before the first layer");
        }

        private void CheckReshape(Proto.NodeProto node, int index)
        {
            if (node.Input.Count < 2 || node.Input[0] != _current) throw Unsupported(node, index, "expected Reshape(images, shape)");
            var shape = _dense.TryGetValue(node.Input[1], out var t) ? _tensors.Integers(t)
                : throw Unsupported(node, index, $"its shape \"{node.Input[1]}\" is not a constant");
            if (shape.Length != 2 || shape[0] is not (-1 or 0) && shape[0] < 1 || shape[1] < 1)
                throw Unsupported(node, index, $"it reshapes to [{string.Join(", ", shape)}]; only [batch, features] (batch -1 or 0) is supported");
            _declaredFeatures = (int)shape[1];
        }

        private void Gemm(Proto.NodeProto node, int index)
        {
            if (node.Input[0] != _current) throw Unsupported(node, index, "the images must be its first input (A)");
            if (Float(node, "alpha", 1f) != 1f || Float(node, "beta", 1f) != 1f)
                throw Unsupported(node, index, "only alpha = beta = 1 is supported (a scale would change the float32 rounding)");
            if (Int(node, "transA", 0) != 0) throw Unsupported(node, index, "transA = 1 is not supported (the images are rows)");
            bool transB = Int(node, "transB", 0) != 0;
            StartLayer(node, index, Operand(node, index, 1, transB));
            if (node.Input.Count > 2 && node.Input[2].Length > 0) _bias = BiasOperand(node, index, node.Input[2]);
        }

        private void StartLayer(Proto.NodeProto node, int index, CsrMatrix weights)
        {
            if (_ended) throw Unsupported(node, index, "a layer may not follow Softmax or ArgMax");
            FinishLayer();
            int width = _layers.Count > 0 ? _layers[^1].Neurons : weights.Rows;
            if (weights.Rows != width)
                throw Unsupported(node, index, $"its weights are [{weights.Rows}, {weights.Columns}] but the previous layer gives {width} features (mismatched shapes)");
            _weights = weights;
        }

        private void AddBias(Proto.NodeProto node, int index)
        {
            if (_weights is null || _bias is not null || _activation is not null)
                throw Unsupported(node, index, "an Add must follow a MatMul directly (one bias per layer, before its activation)");
            int other = 1 - node.Input.IndexOf(_current);
            if (node.Input.Count != 2 || other < 0) throw Unsupported(node, index, "expected Add(layer, bias)");
            _bias = BiasOperand(node, index, node.Input[other]);
        }

        private float[] BiasOperand(Proto.NodeProto node, int index, string name)
        {
            if (!_dense.TryGetValue(name, out var tensor))
                throw Unsupported(node, index, $"its bias \"{name}\" is not a constant initializer");
            var dims = OnnxTensors.Dims(tensor);
            int outputs = _weights!.Columns;
            bool fits = dims.Length == 1 && dims[0] == outputs || dims.Length == 2 && dims[0] == 1 && dims[1] == outputs;
            if (!fits) throw Unsupported(node, index, $"its bias \"{name}\" has shape [{string.Join(", ", dims)}], expected [{outputs}] (mismatched shapes)");
            return _tensors.Floats(tensor);
        }

        private void SetActivation(Proto.NodeProto node, int index, LayerForm form)
        {
            if (_weights is null || _activation is not null)
                throw Unsupported(node, index, "an activation must follow a MatMul, Gemm or Add (one per layer)");
            _activation = form;
        }

        private void Clip(Proto.NodeProto node, int index)
        {
            float? min = node.Input.Count > 1 && node.Input[1].Length > 0 ? Scalar(node, index, node.Input[1]) : AttributeFloat(node, "min");
            float? max = node.Input.Count > 2 && node.Input[2].Length > 0 ? Scalar(node, index, node.Input[2]) : AttributeFloat(node, "max");
            if (min is not 0f) throw Unsupported(node, index, $"only Clip with min = 0 (a ReLU) is supported, not min = {(min is null ? "none" : min)}");
            if (max is { } cap && (!(cap > 0) || !float.IsFinite(cap)))
                throw Unsupported(node, index, $"its max {cap} is not positive and finite");
            SetActivation(node, index, max is { } c && float.IsFinite(c) ? LayerForm.CappedRelu(c, BiasMode.Always) : LayerForm.Relu(BiasMode.Always));
        }

        private void Trailing(Proto.NodeProto node, int index)
        {
            if (_weights is null && _layers.Count == 0) throw Unsupported(node, index, "it may only follow the last layer");
            long axis = Int(node, "axis", node.OpType == "ArgMax" ? 0 : -1);
            if (axis is not (1 or -1)) throw Unsupported(node, index, $"axis {axis}: only the class axis (1 or -1) is supported");
            if (node.OpType == "ArgMax" && Int(node, "select_last_index", 0) != 0)
                throw Unsupported(node, index, "select_last_index = 1 is not supported (SpDnn breaks ties to the lowest index)");
            FinishLayer();
            _ended = true;
        }

        private void FinishLayer()
        {
            if (_weights is null) return;
            var bias = _bias ?? new float[_weights.Columns];
            var form = _activation ?? LayerForm.Identity(BiasMode.Always);
            _layers.Add(new NetworkLayer(_layers.Count, _weights, bias) { Form = form });
            _weights = null;
            _bias = null;
            _activation = null;
        }

        private CsrMatrix Operand(Proto.NodeProto node, int index, int input, bool transpose)
        {
            if (node.Input.Count < 2 || input < 0 || input >= node.Input.Count) throw Unsupported(node, index, "expected two inputs");
            if (input == 0) throw Unsupported(node, index, "the images must be the left operand (images x weights)");
            string name = node.Input[input];
            if (_sparse.TryGetValue(name, out var sparse)) return _tensors.Matrix(sparse, transpose);
            if (_dense.TryGetValue(name, out var dense)) return _tensors.Matrix(dense, transpose);
            throw Unsupported(node, index, $"it multiplies by \"{name}\", which is not an initializer (only constant weights are supported)");
        }

        private float Scalar(Proto.NodeProto node, int index, string name)
        {
            if (!_dense.TryGetValue(name, out var t)) throw Unsupported(node, index, $"\"{name}\" is not a constant");
            var v = _tensors.Floats(t);
            return v.Length == 1 ? v[0] : throw Unsupported(node, index, $"\"{name}\" is not a scalar");
        }

        private void AddConstant(Proto.NodeProto node, int index)
        {
            if (node.Output.Count != 1) throw Unsupported(node, index, "a Constant must have one output");
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value");
            var sparse = node.Attribute.FirstOrDefault(a => a.Name == "sparse_value");
            var scalar = node.Attribute.FirstOrDefault(a => a.Name is "value_float" or "value_int" or "value_ints" or "value_floats");
            if (value?.T is { } t) _dense[node.Output[0]] = WithName(t, node.Output[0]);
            else if (sparse?.SparseTensor is { } s) _sparse[node.Output[0]] = s;
            else if (scalar is not null) _dense[node.Output[0]] = FromAttribute(scalar, node.Output[0]);
            else throw Unsupported(node, index, "only tensor, sparse tensor, float(s) and int(s) constants are supported");
        }

        private static Proto.TensorProto WithName(Proto.TensorProto t, string name)
        {
            var copy = t.Clone();
            copy.Name = name;
            return copy;
        }

        private static Proto.TensorProto FromAttribute(Proto.AttributeProto a, string name)
        {
            var t = new Proto.TensorProto { Name = name };
            switch (a.Name)
            {
                case "value_float": t.DataType = 1; t.FloatData.Add(a.F); break;
                case "value_floats": t.DataType = 1; t.Dims.Add(a.Floats.Count); t.FloatData.Add(a.Floats); break;
                case "value_int": t.DataType = 7; t.Int64Data.Add(a.I); break;
                default: t.DataType = 7; t.Dims.Add(a.Ints.Count); t.Int64Data.Add(a.Ints); break;
            }
            return t;
        }

        /// <summary>Features per image when the input's shape is known: the product of every dimension after the batch.</summary>
        private static int? FeaturesOf(Proto.ValueInfoProto input)
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count < 2) return null;
            long product = 1;
            foreach (var d in dims.Skip(1))
            {
                if (d.ValueCase != Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || d.DimValue < 1) return null;
                product *= d.DimValue;
                if (product > int.MaxValue) return null;
            }
            return (int)product;
        }

        private static long Int(Proto.NodeProto node, string name, long fallback) =>
            node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

        private static float Float(Proto.NodeProto node, string name, float fallback) =>
            node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

        private static float? AttributeFloat(Proto.NodeProto node, string name) =>
            node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : null;

        private static string Describe(Proto.NodeProto node, int index) =>
            node.Name.Length > 0 ? $"node \"{node.Name}\" ({node.OpType})" : $"node {index + 1} ({node.OpType})";

        private static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));

        private SpDnnDataException Unsupported(Proto.NodeProto node, int index, string why) =>
            new(_path, $"{Describe(node, index)}: {why}");
    }
}
