using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SpDnn.Formats.Npz;

/// <summary>
/// One NumPy array read from a .npy file (format versions 1-3), for the element types a network
/// needs: little-endian float32/float64, int32/int64 (and uint8/int8/int16 for small integers),
/// byte strings (|S) and unicode strings (&lt;U). C order only. Errors name the archive and the array.
/// </summary>
internal sealed partial class NpyArray
{
    private NpyArray(string name, string type, int itemSize, long[] shape, byte[] data)
    {
        Name = name;
        Type = type;
        ItemSize = itemSize;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }

    /// <summary>The kind and size: f4, f8, i1, i2, i4, i8, u1, S, U.</summary>
    public string Type { get; }

    public int ItemSize { get; }
    public long[] Shape { get; }
    public byte[] Data { get; }
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// Reads the array from <paramref name="stream"/>, which holds <paramref name="length"/> bytes
    /// (the archive entry's declared size): the header's shape must account for exactly those
    /// bytes, checked before the data is allocated, so a header cannot claim more than is there.
    /// </summary>
    public static NpyArray Read(Stream stream, string archive, string name, long length)
    {
        var magic = new byte[8];
        if (stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) < 8 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw Bad(archive, name, "is not a .npy array (bad magic)");
        int major = magic[6];
        int headerLength;
        var size = new byte[major == 1 ? 2 : 4];
        if (major is not (1 or 2 or 3)) throw Bad(archive, name, $"is .npy version {major}, expected 1, 2 or 3");
        if (stream.ReadAtLeast(size, size.Length, throwOnEndOfStream: false) < size.Length) throw Bad(archive, name, "is truncated in its header");
        long declaredHeader = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(size) : BinaryPrimitives.ReadUInt32LittleEndian(size);
        long prefix = magic.Length + size.Length;
        if (declaredHeader > 1 << 20 || prefix + declaredHeader > length)
            throw Bad(archive, name, $"has a {declaredHeader}-byte header in an entry of {length} bytes");
        headerLength = (int)declaredHeader;
        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerLength, throwOnEndOfStream: false) < headerLength) throw Bad(archive, name, "is truncated in its header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = DescrPattern().Match(header);
        var order = OrderPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !order.Success || !shapeMatch.Success) throw Bad(archive, name, $"has an unreadable header {header.Trim()}");
        if (order.Groups[1].Value == "True") throw Bad(archive, name, "is stored in Fortran order; save it in C order");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : -1).ToArray();
        if (shape.Any(d => d < 0)) throw Bad(archive, name, $"has an unreadable shape ({shapeMatch.Groups[1].Value})");
        var (type, itemSize) = ParseType(descr.Groups[1].Value) ?? throw Bad(archive, name,
            $"has element type '{descr.Groups[1].Value}'; SpDnn reads float32/float64, int8-int64, uint8 and strings");
        long bytes = itemSize;
        foreach (long d in shape)
        {
            // Bounded at every step, so no product of dimensions can wrap around to a small size.
            bytes = d == 0 ? 0 : bytes <= Array.MaxLength / d ? bytes * d : long.MaxValue;
            if (bytes > Array.MaxLength) throw Bad(archive, name, $"has shape ({string.Join(", ", shape)}): more than {Array.MaxLength} bytes");
        }
        long present = length - prefix - headerLength;
        if (bytes != present)
            throw Bad(archive, name, bytes > present
                ? $"is truncated: its shape ({string.Join(", ", shape)}) needs {bytes} bytes of data, the archive holds {present}"
                : $"has {present - bytes} bytes after the {bytes} bytes of data its shape ({string.Join(", ", shape)}) needs");
        var data = new byte[bytes];
        if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
            throw Bad(archive, name, $"is truncated: its shape ({string.Join(", ", shape)}) needs {bytes} bytes of data");
        return new NpyArray(name, type, itemSize, shape, data);
    }

    /// <summary>The element type of a descr such as '&lt;f4', '|S3' or '&lt;U8'; null when not read.</summary>
    private static (string Type, int Size)? ParseType(string descr)
    {
        if (descr.Length < 3) return null;
        char endian = descr[0], kind = descr[1];
        if (!int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size < 1) return null;
        // '>' is big-endian: refused rather than swapped (NumPy writes little-endian on every common machine).
        if (endian == '>') return null;
        return (kind, size) switch
        {
            ('f', 4 or 8) or ('i', 1 or 2 or 4 or 8) or ('u', 1) => ($"{kind}{size}", size),
            ('S', _) => ("S", size),
            ('U', _) => ("U", size * 4),
            ('b', 1) => ("u1", 1),
            _ => null,
        };
    }

    public float[] ToFloats(string archive)
    {
        return Type switch
        {
            "f4" => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Data).ToArray(),
            "f8" => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(Data).ToArray().Select(d => (float)d)],
            _ => throw Bad(archive, Name, $"holds {Describe()}, expected float32 or float64"),
        };
    }

    public long[] ToIntegers(string archive)
    {
        var span = Data.AsSpan();
        var result = new long[Count];
        for (long e = 0; e < result.Length; e++)
        {
            int at = (int)(e * ItemSize);
            result[e] = Type switch
            {
                "i1" => (sbyte)span[at],
                "u1" => span[at],
                "i2" => BinaryPrimitives.ReadInt16LittleEndian(span[at..]),
                "i4" => BinaryPrimitives.ReadInt32LittleEndian(span[at..]),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(span[at..]),
                _ => throw Bad(archive, Name, $"holds {Describe()}, expected integers"),
            };
        }
        return result;
    }

    /// <summary>A string scalar (or one-element array): bytes (|S, ASCII) or unicode (&lt;U, UTF-32).</summary>
    public string ToText(string archive)
    {
        if (Count != 1) throw Bad(archive, Name, $"has shape ({string.Join(", ", Shape)}), expected one string");
        string text = Type switch
        {
            "S" => Encoding.ASCII.GetString(Data),
            "U" => Encoding.UTF32.GetString(Data),
            _ => throw Bad(archive, Name, $"holds {Describe()}, expected a string"),
        };
        return text.TrimEnd('\0');
    }

    public string Describe() => Type switch
    {
        "S" => $"byte strings of {ItemSize}",
        "U" => $"unicode strings of {ItemSize / 4}",
        _ => Type[0] switch { 'f' => "float", 'i' => "int", _ => "uint" } + (ItemSize * 8),
    };

    public static SpDnnDataException Bad(string archive, string name, string reason) => new(archive, $"array \"{name}\" {reason}");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex OrderPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
