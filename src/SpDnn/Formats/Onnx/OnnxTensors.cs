using System.Runtime.InteropServices;
using SpDnn.Model;
using Proto = global::Onnx;

namespace SpDnn.Formats.Onnx;

/// <summary>
/// The values of ONNX tensors: dense ones (float_data, int64_data, raw_data little-endian, or
/// external data beside the model) and sparse ones (values plus linear or coordinate indices).
/// Every failure names the model file and the tensor.
/// </summary>
internal sealed class OnnxTensors(string modelPath)
{
    /// <summary>Element type codes of TensorProto.DataType.</summary>
    private const int Float = 1, Int32 = 6, Int64 = 7, Double = 11;

    public static long[] Dims(Proto.TensorProto tensor) => [.. tensor.Dims];

    /// <summary>A float tensor's elements (float64 ones rounded to float32 as a cast does).</summary>
    public float[] Floats(Proto.TensorProto tensor)
    {
        long count = ElementCount(tensor);
        switch (tensor.DataType)
        {
            case Float:
                if (tensor.FloatData.Count > 0) return Check(tensor, [.. tensor.FloatData], count);
                return Check(tensor, MemoryMarshal.Cast<byte, float>(Bytes(tensor, count, 4)).ToArray(), count);
            case Double:
                if (tensor.DoubleData.Count > 0) return Check(tensor, [.. tensor.DoubleData.Select(d => (float)d)], count);
                return Check(tensor, [.. MemoryMarshal.Cast<byte, double>(Bytes(tensor, count, 8)).ToArray().Select(d => (float)d)], count);
            default:
                throw Bad(tensor, $"has element type {TypeName(tensor.DataType)}; weights, biases and bounds must be float32 (or float64)");
        }
    }

    /// <summary>An integer tensor's elements (int64 or int32).</summary>
    public long[] Integers(Proto.TensorProto tensor)
    {
        long count = ElementCount(tensor);
        switch (tensor.DataType)
        {
            case Int64:
                if (tensor.Int64Data.Count > 0) return Check(tensor, [.. tensor.Int64Data], count);
                return Check(tensor, MemoryMarshal.Cast<byte, long>(Bytes(tensor, count, 8)).ToArray(), count);
            case Int32:
                if (tensor.Int32Data.Count > 0) return Check(tensor, [.. tensor.Int32Data.Select(v => (long)v)], count);
                return Check(tensor, [.. MemoryMarshal.Cast<byte, int>(Bytes(tensor, count, 4)).ToArray().Select(v => (long)v)], count);
            default:
                throw Bad(tensor, $"has element type {TypeName(tensor.DataType)}, expected int64 or int32");
        }
    }

    /// <summary>A 2-D dense weight tensor as CSR, exact zeros dropped; <paramref name="transpose"/> reads it as [out, in].</summary>
    public CsrMatrix Matrix(Proto.TensorProto tensor, bool transpose)
    {
        var dims = Dims(tensor);
        if (dims.Length != 2) throw Bad(tensor, $"has shape [{string.Join(", ", dims)}]; a weight matrix must be 2-D");
        CheckSize(tensor, dims);
        var values = Floats(tensor);
        int rows = (int)dims[0], columns = (int)dims[1];
        var offsets = new int[rows + 1];
        for (int r = 0; r < rows; r++)
        {
            int count = 0;
            var row = values.AsSpan(r * columns, columns);
            foreach (float v in row) if (v != 0f) count++;
            offsets[r + 1] = offsets[r] + count;
        }
        var indices = new int[offsets[rows]];
        var kept = new float[offsets[rows]];
        for (int r = 0, at = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                if (row[c] == 0f) continue;
                indices[at] = c;
                kept[at++] = row[c];
            }
        }
        var matrix = new CsrMatrix(rows, columns, offsets, indices, kept);
        return transpose ? matrix.Transpose() : matrix;
    }

    /// <summary>A 2-D sparse weight tensor as CSR (explicit zeros dropped too); <paramref name="transpose"/> reads it as [out, in].</summary>
    public CsrMatrix Matrix(Proto.SparseTensorProto sparse, bool transpose)
    {
        var values = sparse.Values ?? throw new SpDnnDataException(modelPath, "a sparse initializer has no values tensor");
        string name = values.Name;
        long[] dims = [.. sparse.Dims];
        if (dims.Length != 2) throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\" has shape [{string.Join(", ", dims)}]; a weight matrix must be 2-D");
        if (dims[0] < 1 || dims[1] < 1 || dims[0] > int.MaxValue || dims[1] > int.MaxValue)
            throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\" has impossible shape [{dims[0]}, {dims[1]}]");
        var v = Floats(values);
        // The dimensions are only numbers: row offsets and the transpose are sized from them, so they must be in proportion to the entries.
        SizeLimits.CheckRows(modelPath, dims[0], v.Length, $"sparse initializer \"{name}\" of shape [{dims[0]}, {dims[1]}]", "rows");
        SizeLimits.CheckRows(modelPath, dims[1], v.Length, $"sparse initializer \"{name}\" of shape [{dims[0]}, {dims[1]}]", "columns");
        var indexTensor = sparse.Indices ?? throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\" has no indices tensor");
        var raw = Integers(indexTensor);
        long[] indexDims = Dims(indexTensor);
        int nnz = v.Length;
        var rows = new int[nnz];
        var cols = new int[nnz];
        bool coordinates = indexDims.Length == 2;
        if (coordinates ? indexDims[0] != nnz || indexDims[1] != 2 : raw.Length != nnz)
            throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\": {raw.Length} indices for {nnz} values (expected [{nnz}] linear or [{nnz}, 2] coordinates)");
        for (int e = 0; e < nnz; e++)
        {
            long r = coordinates ? raw[2 * e] : raw[e] / dims[1];
            long c = coordinates ? raw[2 * e + 1] : raw[e] % dims[1];
            if (r < 0 || r >= dims[0] || c < 0 || c >= dims[1])
                throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\": entry {e} at ({r}, {c}) lies outside [{dims[0]}, {dims[1]}]");
            rows[e] = (int)r;
            cols[e] = (int)c;
        }
        int keep = 0;
        for (int e = 0; e < nnz; e++)
        {
            if (v[e] == 0f) continue;
            rows[keep] = rows[e];
            cols[keep] = cols[e];
            v[keep++] = v[e];
        }
        var matrix = CsrMatrix.FromCoordinates((int)dims[0], (int)dims[1], rows.AsSpan(0, keep), cols.AsSpan(0, keep), v.AsSpan(0, keep),
            onDuplicate: e => throw new SpDnnDataException(modelPath, $"sparse initializer \"{name}\": entry {e} repeats a position"));
        return transpose ? matrix.Transpose() : matrix;
    }

    private long ElementCount(Proto.TensorProto tensor)
    {
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0) throw Bad(tensor, $"has a negative dimension ({d})");
            count *= d;
            if (count > Array.MaxLength) throw Bad(tensor, $"has more than {Array.MaxLength} elements");
        }
        return count;
    }

    private void CheckSize(Proto.TensorProto tensor, long[] dims)
    {
        if (dims[0] < 1 || dims[1] < 1 || dims[0] > int.MaxValue || dims[1] > int.MaxValue)
            throw Bad(tensor, $"has impossible shape [{dims[0]}, {dims[1]}]");
    }

    private T[] Check<T>(Proto.TensorProto tensor, T[] values, long count) => values.Length == count
        ? values
        : throw Bad(tensor, $"holds {values.Length} values, its shape [{string.Join(", ", tensor.Dims)}] needs {count}");

    /// <summary>The raw little-endian bytes of a tensor: raw_data, or its external file.</summary>
    private ReadOnlySpan<byte> Bytes(Proto.TensorProto tensor, long count, int size)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is read on little-endian machines only.");
        if (count * size > Array.MaxLength) throw Bad(tensor, $"has shape [{string.Join(", ", tensor.Dims)}]: more than {Array.MaxLength} bytes");
        byte[] bytes = tensor.DataLocation == Proto.TensorProto.Types.DataLocation.External ? External(tensor, count * size) : tensor.RawData.ToByteArray();
        if (bytes.LongLength != count * size)
            throw Bad(tensor, $"holds {bytes.LongLength} bytes of data, its shape [{string.Join(", ", tensor.Dims)}] needs {count * size}");
        return bytes;
    }

    /// <summary>
    /// Data stored outside the model: "location" (relative to the model's folder), "offset" and
    /// "length". The range is checked against the file and against the <paramref name="expected"/>
    /// bytes of the tensor's shape before anything is read.
    /// </summary>
    private byte[] External(Proto.TensorProto tensor, long expected)
    {
        var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location) || location.Length == 0)
            throw Bad(tensor, "is stored as external data but names no location");
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        var file = Path.GetFullPath(Path.Combine(folder, location));
        if (!file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Bad(tensor, $"names external data \"{location}\" outside the model's folder");
        if (!File.Exists(file)) throw Bad(tensor, $"is stored as external data in \"{location}\", which does not exist beside the model");
        long fileLength = new FileInfo(file).Length;
        long offset = ExternalNumber(tensor, entries, "offset") ?? 0;
        if (offset > fileLength) throw Bad(tensor, $"reads from byte {offset} of \"{location}\", which has {fileLength}");
        long length = ExternalNumber(tensor, entries, "length") ?? fileLength - offset;
        if (length > fileLength - offset)
            throw Bad(tensor, $"reads {length} bytes from byte {offset} of \"{location}\", which has {fileLength} (truncated external data)");
        if (length != expected)
            throw Bad(tensor, $"holds {length} bytes of external data in \"{location}\", its shape [{string.Join(", ", tensor.Dims)}] needs {expected}");
        using var stream = File.OpenRead(file);
        stream.Position = offset;
        var data = new byte[length];
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>An external-data number ("offset", "length"): absent is null, anything but a non-negative integer an error.</summary>
    private long? ExternalNumber(Proto.TensorProto tensor, Dictionary<string, string> entries, string key)
    {
        if (!entries.TryGetValue(key, out var text)) return null;
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Bad(tensor, $"has external-data {key} \"{text}\", expected a non-negative integer");
    }

    private SpDnnDataException Bad(Proto.TensorProto tensor, string reason) =>
        new(modelPath, $"tensor \"{tensor.Name}\" {reason}");

    private static string TypeName(int type) => Enum.IsDefined(typeof(Proto.TensorProto.Types.DataType), type)
        ? ((Proto.TensorProto.Types.DataType)type).ToString().ToLowerInvariant()
        : type.ToString();
}
