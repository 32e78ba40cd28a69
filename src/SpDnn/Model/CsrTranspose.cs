namespace SpDnn.Model;

/// <summary>
/// The transpose of a CSR matrix written into buffers the caller owns, so that a caller that only
/// reads the transpose (the GPU planner) can reuse pooled memory instead of fresh arrays.
/// </summary>
internal static class CsrTranspose
{
    /// <summary>
    /// Writes the transpose of <paramref name="source"/>: row c of the result lists, ascending, the rows of
    /// <paramref name="source"/> with a nonzero in column c. <paramref name="offsets"/> takes Columns + 1
    /// entries, <paramref name="indices"/> and <paramref name="values"/> NonZeros entries each.
    /// </summary>
    public static void Write(CsrMatrix source, Span<int> offsets, Span<int> indices, Span<float> values)
    {
        int columns = source.Columns, rows = source.Rows;
        ReadOnlySpan<int> sourceOffsets = source.RowOffsets, sourceIndices = source.ColumnIndices;
        ReadOnlySpan<float> sourceValues = source.Values;
        offsets = offsets[..(columns + 1)];
        indices = indices[..sourceIndices.Length];
        values = values[..sourceIndices.Length];

        // offsets[c + 1] first counts column c, then holds where its next entry goes; once every
        // entry is placed it is where column c ends, which is where column c + 1 starts. So no
        // cursor array is needed.
        offsets.Clear();
        foreach (int c in sourceIndices) offsets[c + 1]++;
        int start = 0;
        for (int c = 1; c <= columns; c++)
        {
            int count = offsets[c];
            offsets[c] = start;
            start += count;
        }
        for (int r = 0; r < rows; r++)
        {
            for (int p = sourceOffsets[r], end = sourceOffsets[r + 1]; p < end; p++)
            {
                int q = offsets[sourceIndices[p] + 1]++;
                indices[q] = r;
                values[q] = sourceValues[p];
            }
        }
    }
}
