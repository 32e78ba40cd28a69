namespace SpDnn.Model;

/// <summary>
/// The transpose of a CSR matrix written into buffers the caller owns, so that a caller that only
/// reads the transpose (the GPU planner) can reuse pooled memory and choose its layout.
/// </summary>
internal static class CsrTranspose
{
    /// <summary>
    /// Sets <paramref name="next"/>[c + 1] to where column c's first entry goes in the transpose
    /// (<paramref name="next"/>[0] = 0; Columns + 1 entries). A scatter that takes slot
    /// next[c + 1]++ for each entry of column c, in row order, leaves it where column c ends, which
    /// is where column c + 1 starts: the transpose's row offsets, with no cursor array besides.
    /// </summary>
    public static void ColumnStarts(CsrMatrix source, Span<int> next)
    {
        int columns = source.Columns;
        next = next[..(columns + 1)];
        next.Clear();
        foreach (int c in source.ColumnIndices) next[c + 1]++;
        for (int c = 1, start = 0; c <= columns; c++)
        {
            int count = next[c];
            next[c] = start;
            start += count;
        }
    }

    /// <summary>
    /// Writes the transpose of <paramref name="source"/>: row c of the result lists, ascending, the rows of
    /// <paramref name="source"/> with a nonzero in column c. <paramref name="offsets"/> takes Columns + 1
    /// entries, <paramref name="indices"/> and <paramref name="values"/> NonZeros entries each.
    /// </summary>
    public static void Write(CsrMatrix source, Span<int> offsets, Span<int> indices, Span<float> values)
    {
        ColumnStarts(source, offsets);
        ReadOnlySpan<int> sourceOffsets = source.RowOffsets, sourceIndices = source.ColumnIndices;
        ReadOnlySpan<float> sourceValues = source.Values;
        indices = indices[..sourceIndices.Length];
        values = values[..sourceIndices.Length];
        for (int r = 0; r < source.Rows; r++)
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
