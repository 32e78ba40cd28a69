using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes Matrix Market coordinate files, 1-based, row by row. Pattern keeps only the
/// structure (every value must be 1); symmetric stores the lower triangle (the matrix must be
/// symmetric); values are written as the shortest text that reads back to the same float.
/// </summary>
internal static class MatrixMarketWriter
{
    public static void Write(CsrMatrix matrix, Stream stream, MatrixMarketField field = MatrixMarketField.Real,
        bool symmetric = false, string? comment = null)
    {
        if (field == MatrixMarketField.Pattern && matrix.Values.Any(v => v != 1f))
            throw new ArgumentException("A pattern file cannot hold values other than 1.", nameof(field));
        if (field == MatrixMarketField.Integer && matrix.Values.Any(v => v != MathF.Round(v)))
            throw new ArgumentException("An integer file cannot hold fractional values.", nameof(field));
        long entries = matrix.NonZeros;
        if (symmetric)
        {
            if (!IsSymmetric(matrix)) throw new ArgumentException("The matrix is not symmetric.", nameof(symmetric));
            entries = 0;
            for (int r = 0; r < matrix.Rows; r++)
                foreach (int c in matrix.RowIndices(r)) if (c <= r) entries++;
        }
        var header = new MatrixMarketHeader(field, symmetric, matrix.Rows, matrix.Columns, entries);
        using var writer = new Utf8TextWriter(stream);
        writer.Write(header.Banner);
        writer.Write((byte)'\n');
        if (comment is not null)
            foreach (var line in comment.Split('\n'))
            {
                writer.Write("% " + line);
                writer.Write((byte)'\n');
            }
        writer.Write(matrix.Rows);
        writer.Write((byte)' ');
        writer.Write(matrix.Columns);
        writer.Write((byte)' ');
        writer.Write(entries);
        writer.Write((byte)'\n');
        for (int r = 0; r < matrix.Rows; r++)
        {
            var cols = matrix.RowIndices(r);
            var vals = matrix.RowValues(r);
            for (int e = 0; e < cols.Length; e++)
            {
                if (symmetric && cols[e] > r) break;
                writer.Write(r + 1);
                writer.Write((byte)' ');
                writer.Write(cols[e] + 1);
                if (field != MatrixMarketField.Pattern)
                {
                    writer.Write((byte)' ');
                    writer.Write(vals[e]);
                }
                writer.Write((byte)'\n');
            }
        }
    }

    public static void Write(CsrMatrix matrix, string path, MatrixMarketField field = MatrixMarketField.Real,
        bool symmetric = false, string? comment = null) =>
        AtomicFile.Write(path, stream => Compression.WriteMaybeCompressed(stream, path, s => Write(matrix, s, field, symmetric, comment)));

    /// <summary>Categories as an M x 1 pattern vector (the layout of the GraphBLAS test data).</summary>
    public static void WriteCategories(string path, IReadOnlyList<int> categories, int imageCount)
    {
        var offsets = new int[imageCount + 1];
        foreach (int c in categories)
        {
            if (c < 1 || c > imageCount) throw new ArgumentOutOfRangeException(nameof(categories), c, $"Category outside 1..{imageCount}.");
            offsets[c] = 1;
        }
        for (int r = 0; r < imageCount; r++) offsets[r + 1] += offsets[r];
        var vector = new CsrMatrix(imageCount, 1, offsets, new int[offsets[^1]], Enumerable.Repeat(1f, offsets[^1]).ToArray());
        Write(vector, path, MatrixMarketField.Pattern, comment: "categories: images whose final row has a nonzero");
    }

    private static bool IsSymmetric(CsrMatrix m)
    {
        if (m.Rows != m.Columns) return false;
        var t = m.Transpose();
        return m.ContentEquals(t);
    }
}
