using SpDnn.Model;

namespace SpDnn.Formats.Npz;

/// <summary>
/// Reads networks from NumPy .npz archives (docs/model-formats.md): the multi-layer layout
/// (<c>layers</c>, then per layer k the arrays of <c>scipy.sparse.save_npz</c> prefixed
/// <c>layer{k}_</c>, its bias, activation and bias mode), or one matrix saved alone by
/// <c>save_npz</c> (CSR, CSC or COO), read as a one-layer network y = x·W without bias or
/// activation. Weights are [inputs, outputs]; explicit zeros are dropped.
/// </summary>
internal static class NpzNetworkReader
{
    public static InMemoryNetwork Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        using var archive = new NpzArchive(path);
        if (archive.Contains("layers")) return ReadLayers(archive);
        if (archive.Contains("format") && archive.Contains("shape"))
        {
            var w = ReadMatrix(archive, "");
            var layer = new NetworkLayer(0, w, new float[w.Columns]) { Form = LayerForm.Identity(BiasMode.Always) };
            return new InMemoryNetwork([layer], $"{path} (scipy sparse matrix)", ReadOut.Class);
        }
        throw new SpDnnDataException(path, $"holds neither an SpDnn network (an array \"layers\") nor a scipy.sparse.save_npz matrix (arrays \"format\" and \"shape\"); it has {string.Join(", ", archive.Names.Order().Take(12))}");
    }

    private static InMemoryNetwork ReadLayers(NpzArchive archive)
    {
        var count = archive.Get("layers").ToIntegers(archive.Path);
        if (count.Length != 1 || count[0] < 1 || count[0] > 1_000_000)
            throw new SpDnnDataException(archive.Path, $"array \"layers\" must be one positive count, not [{string.Join(", ", count.Take(4))}]");
        var readOut = archive.Find("readout")?.ToText(archive.Path) switch
        {
            null or "class" => ReadOut.Class,
            "nonzero_rows" => ReadOut.NonzeroRows,
            var other => throw new SpDnnDataException(archive.Path, $"array \"readout\" is \"{other}\", expected \"class\" or \"nonzero_rows\""),
        };
        var layers = new List<NetworkLayer>();
        int width = -1;
        for (int k = 0; k < count[0]; k++)
        {
            string prefix = $"layer{k}_";
            var w = ReadMatrix(archive, prefix);
            if (width >= 0 && w.Rows != width)
                throw new SpDnnDataException(archive.Path, $"layer {k} ({prefix}shape) has {w.Rows} inputs, but layer {k - 1} gives {width} (mismatched shapes)");
            var bias = archive.Find(prefix + "bias")?.ToFloats(archive.Path) ?? new float[w.Columns];
            if (bias.Length != w.Columns)
                throw new SpDnnDataException(archive.Path, $"array \"{prefix}bias\" has {bias.Length} values, layer {k} has {w.Columns} outputs");
            layers.Add(new NetworkLayer(k, w, bias) { Form = ReadForm(archive, prefix, last: k == count[0] - 1) });
            width = w.Columns;
        }
        return new InMemoryNetwork(layers, $"{archive.Path} (npz, {layers.Count} layers)", readOut);
    }

    private static LayerForm ReadForm(NpzArchive archive, string prefix, bool last)
    {
        var bias = archive.Find(prefix + "bias_mode")?.ToText(archive.Path) switch
        {
            null or "always" => BiasMode.Always,
            "nonzero" => BiasMode.OnNonzeroSum,
            var other => throw new SpDnnDataException(archive.Path, $"array \"{prefix}bias_mode\" is \"{other}\", expected \"always\" or \"nonzero\""),
        };
        string activation = archive.Find(prefix + "activation")?.ToText(archive.Path) ?? (last ? "identity" : "relu");
        switch (activation)
        {
            case "relu":
                return LayerForm.Relu(bias);
            case "identity":
                return LayerForm.Identity(bias);
            case "relu_cap":
                var cap = archive.Get(prefix + "cap").ToFloats(archive.Path);
                if (cap.Length != 1 || !(cap[0] > 0) || !float.IsFinite(cap[0]))
                    throw new SpDnnDataException(archive.Path, $"array \"{prefix}cap\" must be one positive finite number");
                return LayerForm.CappedRelu(cap[0], bias);
            default:
                throw new SpDnnDataException(archive.Path, $"array \"{prefix}activation\" is \"{activation}\", expected \"relu\", \"relu_cap\" or \"identity\"");
        }
    }

    /// <summary>The matrix stored under <paramref name="prefix"/> as save_npz does: format, shape, data and indices/indptr or row/col.</summary>
    private static CsrMatrix ReadMatrix(NpzArchive archive, string prefix)
    {
        string path = archive.Path;
        string format = archive.Get(prefix + "format").ToText(path);
        var shape = archive.Get(prefix + "shape").ToIntegers(path);
        if (shape.Length != 2 || shape[0] < 1 || shape[1] < 1 || shape[0] > int.MaxValue || shape[1] > int.MaxValue)
            throw new SpDnnDataException(path, $"array \"{prefix}shape\" is [{string.Join(", ", shape)}], expected [inputs, outputs]");
        int rows = (int)shape[0], columns = (int)shape[1];
        var data = archive.Get(prefix + "data").ToFloats(path);
        // The shape is only numbers: offsets, transposes and biases are sized from it, so it must be in proportion to the entries.
        SizeLimits.CheckRows(path, rows, data.Length, $"array \"{prefix}shape\" ({rows}, {columns})", "inputs");
        SizeLimits.CheckRows(path, columns, data.Length, $"array \"{prefix}shape\" ({rows}, {columns})", "outputs");
        int[] r, c;
        switch (format)
        {
            case "csr":
            case "csc":
                bool csr = format == "csr";
                var indices = archive.Get(prefix + "indices").ToIntegers(path);
                var pointers = archive.Get(prefix + "indptr").ToIntegers(path);
                int major = csr ? rows : columns, minor = csr ? columns : rows;
                if (pointers.Length != major + 1)
                    throw new SpDnnDataException(path, $"array \"{prefix}indptr\" has {pointers.Length} entries, expected {major + 1} for a {format} matrix of shape ({rows}, {columns})");
                if (indices.Length != data.Length || pointers[0] != 0 || pointers[^1] != data.Length)
                    throw new SpDnnDataException(path, $"arrays \"{prefix}indices\" ({indices.Length}), \"{prefix}data\" ({data.Length}) and \"{prefix}indptr\" (ending at {pointers[^1]}) disagree");
                r = new int[data.Length];
                c = new int[data.Length];
                for (int m = 0; m < major; m++)
                {
                    if (pointers[m + 1] < pointers[m]) throw new SpDnnDataException(path, $"array \"{prefix}indptr\" decreases at entry {m + 1}");
                    for (long e = pointers[m]; e < pointers[m + 1]; e++)
                    {
                        if ((ulong)indices[e] >= (ulong)minor) throw new SpDnnDataException(path, $"array \"{prefix}indices\": entry {e} is {indices[e]}, outside 0..{minor - 1}");
                        (r[e], c[e]) = csr ? (m, (int)indices[e]) : ((int)indices[e], m);
                    }
                }
                break;
            case "coo":
                var row = archive.Get(prefix + "row").ToIntegers(path);
                var col = archive.Get(prefix + "col").ToIntegers(path);
                if (row.Length != data.Length || col.Length != data.Length)
                    throw new SpDnnDataException(path, $"arrays \"{prefix}row\" ({row.Length}), \"{prefix}col\" ({col.Length}) and \"{prefix}data\" ({data.Length}) differ in length");
                r = new int[data.Length];
                c = new int[data.Length];
                for (int e = 0; e < data.Length; e++)
                {
                    if ((ulong)row[e] >= (ulong)rows || (ulong)col[e] >= (ulong)columns)
                        throw new SpDnnDataException(path, $"coo entry {e} at ({row[e]}, {col[e]}) lies outside ({rows}, {columns})");
                    (r[e], c[e]) = ((int)row[e], (int)col[e]);
                }
                break;
            default:
                throw new SpDnnDataException(path, $"array \"{prefix}format\" is \"{format}\"; SpDnn reads csr, csc and coo");
        }
        int keep = 0;
        for (int e = 0; e < data.Length; e++)
        {
            if (data[e] == 0f) continue;
            (r[keep], c[keep], data[keep]) = (r[e], c[e], data[e]);
            keep++;
        }
        return CsrMatrix.FromCoordinates(rows, columns, r.AsSpan(0, keep), c.AsSpan(0, keep), data.AsSpan(0, keep),
            onDuplicate: e => throw new SpDnnDataException(path, $"the {format} matrix \"{prefix}\" holds entry {e} twice (sum duplicates before saving)"));
    }
}
