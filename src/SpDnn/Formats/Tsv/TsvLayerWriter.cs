using System.Globalization;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a layer in the official TSV layout, byte for byte: one line per nonzero,
/// <c>row\tcol\tvalue</c>, 1-based, ordered by column then ascending row, the value as C's
/// <c>%e</c> (<c>6.250000e-02</c>).
/// </summary>
internal static class TsvLayerWriter
{
    /// <summary>C's printf("%e"): six decimals, sign and at least two exponent digits.</summary>
    public const string ValueFormat = "0.000000e+00";

    public static void Write(CsrMatrix weights, Stream stream)
    {
        var byColumn = weights.Transpose();
        using var writer = new Utf8TextWriter(stream);
        // Weights repeat (every official weight is 1/16): format each distinct value once in a row.
        Span<byte> text = stackalloc byte[64];
        int textLength = 0;
        int lastBits = 0;
        bool haveLast = false;
        for (int col = 0; col < byColumn.Rows; col++)
        {
            var rows = byColumn.RowIndices(col);
            var vals = byColumn.RowValues(col);
            for (int e = 0; e < rows.Length; e++)
            {
                writer.Write(rows[e] + 1);
                writer.Write((byte)'\t');
                writer.Write(col + 1);
                writer.Write((byte)'\t');
                int bits = BitConverter.SingleToInt32Bits(vals[e]);
                if (!haveLast || bits != lastBits)
                {
                    ((double)vals[e]).TryFormat(text, out textLength, ValueFormat, CultureInfo.InvariantCulture);
                    lastBits = bits;
                    haveLast = true;
                }
                writer.Write(text[..textLength]);
                writer.Write((byte)'\n');
            }
        }
    }

    /// <summary>Writes <paramref name="path"/> atomically, gzip-compressed when it ends in .gz.</summary>
    public static void Write(CsrMatrix weights, string path) =>
        AtomicFile.Write(path, stream => Compression.WriteMaybeCompressed(stream, path, s => Write(weights, s)));
}
