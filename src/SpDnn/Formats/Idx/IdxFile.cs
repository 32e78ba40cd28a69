using System.Buffers.Binary;
using SpDnn.Model;

namespace SpDnn.Formats.Idx;

/// <summary>
/// MNIST's IDX files (gzip or not): unsigned-byte images (magic 0x00000803: count x rows x
/// columns) read as one sparse row per image with value byte / 255 in float32 (zero pixels left
/// out), and unsigned-byte labels (magic 0x00000801). Sizes are checked against the file's length.
/// </summary>
public static class IdxFile
{
    private const int ImagesMagic = 0x803, LabelsMagic = 0x801;

    /// <summary>Whether the (decompressed) file starts with an IDX images or labels magic number.</summary>
    public static bool IsIdx(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var stream = InputFile.OpenRead(path, 1 << 12);
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && IsMagic(BinaryPrimitives.ReadInt32BigEndian(head));
    }

    /// <summary>Whether a file's first four bytes (big-endian) are an IDX images or labels magic number.</summary>
    public static bool IsMagic(int first) => first is ImagesMagic or LabelsMagic;

    /// <summary>The pixel value SpDnn (and the shipped models' training) uses: float32(byte) / 255 in float32.</summary>
    public static float Pixel(byte value) => value / 255f;

    /// <summary>Reads an IDX image file (magic 2051, count × rows × columns bytes) as sparse rows of <see cref="Pixel"/> values, one image per row, pixels row-major.</summary>
    public static ImageBatch ReadImages(string path)
    {
        var data = ReadAll(path, ImagesMagic, dimensions: 3, out var dims);
        int count = dims[0], pixels = checked(dims[1] * dims[2]);
        var offsets = new int[count + 1];
        var columns = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < count; r++)
        {
            var image = data.AsSpan((int)((long)r * pixels), pixels);
            for (int p = 0; p < pixels; p++)
            {
                if (image[p] == 0) continue;
                columns.Add(p);
                values.Add(Pixel(image[p]));
            }
            offsets[r + 1] = columns.Count;
        }
        return new ImageBatch(new CsrMatrix(count, pixels, offsets, [.. columns], [.. values]), path);
    }

    /// <summary>Reads an IDX label file (magic 2049): one class 0..255 per image, in file order.</summary>
    public static int[] ReadLabels(string path)
    {
        var data = ReadAll(path, LabelsMagic, dimensions: 1, out _);
        return [.. data.Select(b => (int)b)];
    }

    private static byte[] ReadAll(string path, int magic, int dimensions, out int[] dims)
    {
        using var stream = InputFile.OpenRead(path);
        var head = new byte[4 + 4 * dimensions];
        if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
            throw new SpDnnDataException(path, "truncated IDX header", byteOffset: 0);
        int found = BinaryPrimitives.ReadInt32BigEndian(head);
        if (found != magic)
            throw new SpDnnDataException(path, $"IDX magic 0x{found:x8}, expected 0x{magic:x8} ({(magic == ImagesMagic ? "unsigned-byte images" : "unsigned-byte labels")})", byteOffset: 0);
        dims = new int[dimensions];
        long total = 1;
        for (int d = 0; d < dimensions; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4 + 4 * d));
            if (dims[d] < 1) throw new SpDnnDataException(path, $"IDX dimension {d + 1} is {dims[d]}", byteOffset: 4 + 4 * d);
            total *= dims[d];
            if (total > Array.MaxLength) throw new SpDnnDataException(path, $"IDX sizes describe more than {Array.MaxLength} bytes", byteOffset: 4 + 4 * d);
        }
        var data = new byte[total];
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length) throw new SpDnnDataException(path, $"truncated IDX file: {read} of {data.Length} data bytes", byteOffset: head.Length + read);
        if (stream.ReadByte() != -1) throw new SpDnnDataException(path, "IDX file has bytes after its data", byteOffset: head.Length + data.Length);
        return data;
    }
}
