using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>Row-wise concatenation of sparse matrices (the live rows of several devices).</summary>
internal static class CsrRows
{
    public static CsrMatrix Concatenate(IReadOnlyList<CsrMatrix> parts, int columns)
    {
        int rows = 0;
        long nonZeros = 0;
        foreach (var p in parts)
        {
            if (p.Columns != columns) throw new ArgumentException($"A part has {p.Columns} columns, expected {columns}.", nameof(parts));
            rows += p.Rows;
            nonZeros += p.NonZeros;
        }
        var offsets = new int[rows + 1];
        var indices = new int[checked((int)nonZeros)];
        var values = new float[indices.Length];
        int row = 0, at = 0;
        foreach (var p in parts)
        {
            for (int r = 0; r < p.Rows; r++) offsets[row + r + 1] = at + p.RowOffsets[r + 1];
            p.ColumnIndices.CopyTo(indices, at);
            p.Values.CopyTo(values, at);
            row += p.Rows;
            at += p.ColumnIndices.Length;
        }
        return new CsrMatrix(rows, columns, offsets, indices, values);
    }
}
