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
        using var stream = OpenData(path, ImagesMagic, dimensions: 3, out var dims, out int headLength);
        int count = dims[0], pixels = checked(dims[1] * dims[2]);
        // One image at a time, so memory follows the pixels that are there rather than the count declared.
        var image = new byte[pixels];
        var offsets = new List<int>(Math.Min(count, 1 << 16) + 1) { 0 };
        var columns = new List<int>();
        var values = new List<float>();
        long blank = 0;
        for (int r = 0; r < count; r++)
        {
            ReadExactly(stream, path, image, headLength + (long)r * pixels, (long)count * pixels);
            for (int p = 0; p < pixels; p++)
            {
                if (image[p] == 0) continue;
                columns.Add(p);
                values.Add(Pixel(image[p]));
            }
            // Each image costs a row offset even when blank: as for text images, at most SizeLimits.EmptyRowAllowance of them.
            if (columns.Count == offsets[^1] && ++blank > SizeLimits.EmptyRowAllowance)
                throw new SpDnnDataException(path, $"more than {SizeLimits.EmptyRowAllowance} of its {count} images are blank (every pixel zero)",
                    byteOffset: headLength + (long)r * pixels);
            offsets.Add(columns.Count);
        }
        EnsureEnd(stream, path, headLength + (long)count * pixels);
        return new ImageBatch(new CsrMatrix(count, pixels, [.. offsets], [.. columns], [.. values]), path);
    }

    /// <summary>Reads an IDX label file (magic 2049): one class 0..255 per image, in file order.</summary>
    public static int[] ReadLabels(string path)
    {
        using var stream = OpenData(path, LabelsMagic, dimensions: 1, out var dims, out int headLength);
        var data = new byte[dims[0]];
        ReadExactly(stream, path, data, headLength, data.Length);
        EnsureEnd(stream, path, headLength + (long)data.Length);
        return [.. data.Select(b => (int)b)];
    }

    /// <summary>
    /// Opens the file past its header, once the header's magic and sizes are checked against the
    /// file: a plain file must hold exactly the bytes the sizes declare, and a gzip file cannot
    /// declare more than <see cref="SizeLimits.MaxExpandedBytes"/> of its stored length, so a
    /// small file cannot make the reader allocate or decompress gigabytes.
    /// </summary>
    private static Stream OpenData(string path, int magic, int dimensions, out int[] dims, out int headLength)
    {
        var stream = InputFile.OpenRead(path);
        try
        {
            var head = new byte[4 + 4 * dimensions];
            headLength = head.Length;
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
            string sizes = string.Join(" x ", dims);
            long stored = new FileInfo(path).Length;
            if (InputFile.IsGzip(path))
            {
                long most = SizeLimits.MaxExpandedBytes(stored);
                if (head.Length + total > most)
                    throw new SpDnnDataException(path, $"IDX sizes {sizes} declare {total} data bytes, more than a gzip file of {stored} bytes may expand to ({most})", byteOffset: 4);
            }
            else if (head.Length + total != stored)
            {
                long present = stored - head.Length;
                throw new SpDnnDataException(path, present < total
                    ? $"truncated IDX file: sizes {sizes} declare {total} data bytes, the file has {present}"
                    : $"IDX file has {present - total} bytes after the {total} data bytes its sizes {sizes} declare", byteOffset: Math.Min(present, total) + head.Length);
            }
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static void ReadExactly(Stream stream, string path, byte[] buffer, long offset, long declared)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new SpDnnDataException(path, $"truncated IDX file: its data ends at byte {offset + read}, the sizes declare {declared} data bytes", byteOffset: offset + read);
    }

    private static void EnsureEnd(Stream stream, string path, long end)
    {
        if (stream.ReadByte() != -1) throw new SpDnnDataException(path, "IDX file has bytes after its data", byteOffset: end);
    }
}
