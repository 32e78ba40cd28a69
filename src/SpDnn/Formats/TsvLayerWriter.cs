using System.Globalization;
using System.Text;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a layer in the official TSV layout, byte for byte: one line per nonzero,
/// <c>row\tcol\tvalue</c>, 1-based, ordered by column then ascending row, the value as C's
/// <c>%e</c> (<c>6.250000e-02</c>).
/// </summary>
public static class TsvLayerWriter
{
    public static void Write(CsrMatrix weights, Stream stream)
    {
        var byColumn = weights.Transpose();
        var buffer = new StringBuilder(1 << 16);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20, leaveOpen: true);
        for (int col = 0; col < byColumn.Rows; col++)
        {
            var rows = byColumn.RowIndices(col);
            var vals = byColumn.RowValues(col);
            for (int e = 0; e < rows.Length; e++)
            {
                buffer.Append(rows[e] + 1).Append('\t').Append(col + 1).Append('\t');
                AppendValue(buffer, vals[e]);
                buffer.Append('\n');
            }
            if (buffer.Length > 60000)
            {
                writer.Write(buffer);
                buffer.Clear();
            }
        }
        writer.Write(buffer);
    }

    /// <summary>The value as C's printf("%e"): six decimals, sign and at least two exponent digits.</summary>
    public static void AppendValue(StringBuilder buffer, float value) =>
        buffer.Append(((double)value).ToString("0.000000e+00", CultureInfo.InvariantCulture));
}
