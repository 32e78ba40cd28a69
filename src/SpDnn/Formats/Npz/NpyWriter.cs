using System.Runtime.InteropServices;
using System.Text;

namespace SpDnn.Formats.Npz;

/// <summary>Writes .npy arrays (format 1.0, C order, little-endian) for <see cref="NpzNetworkWriter"/>.</summary>
internal static class NpyWriter
{
    public static void Floats(Stream stream, float[] values, params long[] shape) => Write(stream, "<f4", shape, MemoryMarshal.AsBytes(values.AsSpan()));

    public static void Ints(Stream stream, int[] values, params long[] shape) => Write(stream, "<i4", shape, MemoryMarshal.AsBytes(values.AsSpan()));

    public static void Longs(Stream stream, long[] values, params long[] shape) => Write(stream, "<i8", shape, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A 0-d byte string, as scipy.sparse.save_npz stores the format name.</summary>
    public static void Bytes(Stream stream, string ascii) => Write(stream, $"|S{Math.Max(1, ascii.Length)}", [], Encoding.ASCII.GetBytes(ascii.Length == 0 ? "\0" : ascii));

    /// <summary>A 0-d unicode string, as np.savez stores a Python str.</summary>
    public static void Text(Stream stream, string text) => Write(stream, $"<U{Math.Max(1, text.Length)}", [], Encoding.UTF32.GetBytes(text.Length == 0 ? "\0" : text));

    private static void Write(Stream stream, string descr, long[] shape, ReadOnlySpan<byte> data)
    {
        string dims = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => $"({string.Join(", ", shape)})",
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}";
        // Magic, version, header length, then the dict padded with spaces to a multiple of 64 bytes, ending in a newline.
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(data);
    }
}
