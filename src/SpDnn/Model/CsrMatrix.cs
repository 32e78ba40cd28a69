namespace SpDnn.Model;

/// <summary>
/// Compressed sparse rows, 0-based, float32 values. Column indices are ascending within a row
/// and unique. Used for layers (row = input neuron i, column = output neuron j, so
/// Y·W reads row i of W for every nonzero Y(:, i)) and for image batches (row = image).
/// </summary>
public sealed class CsrMatrix
{
    /// <summary>Wraps the arrays without copying; checks their lengths and end offsets, not the column order (callers build it ascending).</summary>
    public CsrMatrix(int rows, int columns, int[] rowOffsets, int[] columnIndices, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rowOffsets.Length != rows + 1)
            throw new ArgumentException($"rowOffsets has {rowOffsets.Length} entries, expected {rows + 1}.", nameof(rowOffsets));
        if (columnIndices.Length != values.Length)
            throw new ArgumentException("columnIndices and values differ in length.", nameof(values));
        if (rowOffsets[0] != 0 || rowOffsets[rows] != columnIndices.Length)
            throw new ArgumentException("rowOffsets must start at 0 and end at the number of nonzeros.", nameof(rowOffsets));
        Rows = rows;
        Columns = columns;
        RowOffsets = rowOffsets;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Number of rows (input neurons of a layer, or images).</summary>
    public int Rows { get; }
    /// <summary>Number of columns (output neurons of a layer, or pixels of an image).</summary>
    public int Columns { get; }
    /// <summary>Start of each row in <see cref="ColumnIndices"/> and <see cref="Values"/>, <see cref="Rows"/> + 1 entries.</summary>
    public int[] RowOffsets { get; }
    /// <summary>Column of each nonzero, ascending within a row.</summary>
    public int[] ColumnIndices { get; }
    /// <summary>Value of each nonzero, parallel to <see cref="ColumnIndices"/>.</summary>
    public float[] Values { get; }
    /// <summary>Number of stored entries.</summary>
    public long NonZeros => ColumnIndices.Length;

    /// <summary>Columns of row <paramref name="row"/>, without copying.</summary>
    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowOffsets[row], RowOffsets[row + 1] - RowOffsets[row]);
    /// <summary>Values of row <paramref name="row"/>, without copying.</summary>
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowOffsets[row], RowOffsets[row + 1] - RowOffsets[row]);
    /// <summary>Number of nonzeros in row <paramref name="row"/>.</summary>
    public int RowLength(int row) => RowOffsets[row + 1] - RowOffsets[row];

    /// <summary>
    /// Builds a matrix from 0-based coordinates in any order. Duplicate coordinates are an error
    /// reported through <paramref name="onDuplicate"/> (entry index of the second occurrence);
    /// without it they throw <see cref="ArgumentException"/>.
    /// </summary>
    public static CsrMatrix FromCoordinates(int rows, int columns, ReadOnlySpan<int> rowIndex, ReadOnlySpan<int> columnIndex,
        ReadOnlySpan<float> value, Action<int>? onDuplicate = null)
    {
        if (rowIndex.Length != columnIndex.Length || rowIndex.Length != value.Length)
            throw new ArgumentException("Coordinate arrays differ in length.");
        int nnz = rowIndex.Length;
        var offsets = new int[rows + 1];
        for (int e = 0; e < nnz; e++)
        {
            if ((uint)rowIndex[e] >= (uint)rows || (uint)columnIndex[e] >= (uint)columns)
                throw new ArgumentOutOfRangeException(nameof(rowIndex), $"Entry {e} ({rowIndex[e]}, {columnIndex[e]}) lies outside {rows} x {columns}.");
            offsets[rowIndex[e] + 1]++;
        }
        for (int r = 0; r < rows; r++) offsets[r + 1] += offsets[r];
        var cursor = offsets.AsSpan(0, rows).ToArray();
        var cols = new int[nnz];
        var vals = new float[nnz];
        var origin = new int[nnz];
        for (int e = 0; e < nnz; e++)
        {
            int p = cursor[rowIndex[e]]++;
            cols[p] = columnIndex[e];
            vals[p] = value[e];
            origin[p] = e;
        }
        for (int r = 0; r < rows; r++)
        {
            int start = offsets[r], length = offsets[r + 1] - start;
            if (length < 2) continue;
            var c = cols.AsSpan(start, length);
            if (!IsStrictlyAscending(c))
            {
                // Sort the row by column, keeping values and origins with it.
                var keys = c.ToArray();
                var idx = new int[length];
                for (int i = 0; i < length; i++) idx[i] = i;
                Array.Sort(keys, idx);
                var v = vals.AsSpan(start, length).ToArray();
                var o = origin.AsSpan(start, length).ToArray();
                for (int i = 0; i < length; i++)
                {
                    cols[start + i] = keys[i];
                    vals[start + i] = v[idx[i]];
                    origin[start + i] = o[idx[i]];
                }
            }
            for (int i = start + 1; i < start + length; i++)
            {
                if (cols[i] != cols[i - 1]) continue;
                int second = Math.Max(origin[i], origin[i - 1]);
                if (onDuplicate is null)
                    throw new ArgumentException($"Duplicate entry ({r}, {cols[i]}) at coordinate {second}.");
                onDuplicate(second);
            }
        }
        return new CsrMatrix(rows, columns, offsets, cols, vals);
    }

    private static bool IsStrictlyAscending(ReadOnlySpan<int> c)
    {
        for (int i = 1; i < c.Length; i++) if (c[i] <= c[i - 1]) return false;
        return true;
    }

    /// <summary>The transpose (CSC of this matrix read as CSR), with ascending indices.</summary>
    public CsrMatrix Transpose()
    {
        // offsets[c + 1] first counts column c, then holds where its next entry goes; once every
        // entry is placed it is where column c ends, which is where column c + 1 starts: no
        // cursor array. Every entry of the result is written, so it is not cleared first.
        var offsets = new int[Columns + 1];
        foreach (int c in ColumnIndices) offsets[c + 1]++;
        for (int c = 1, start = 0; c <= Columns; c++)
        {
            int count = offsets[c];
            offsets[c] = start;
            start += count;
        }
        var rowsOut = GC.AllocateUninitializedArray<int>(ColumnIndices.Length);
        var valsOut = GC.AllocateUninitializedArray<float>(ColumnIndices.Length);
        ReadOnlySpan<int> rowOffsets = RowOffsets, columns = ColumnIndices;
        ReadOnlySpan<float> values = Values;
        for (int r = 0; r < Rows; r++)
        {
            for (int p = rowOffsets[r], end = rowOffsets[r + 1]; p < end; p++)
            {
                int q = offsets[columns[p] + 1]++;
                rowsOut[q] = r;
                valsOut[q] = values[p];
            }
        }
        return new CsrMatrix(Columns, Rows, offsets, rowsOut, valsOut);
    }

    /// <summary>Rows <paramref name="start"/> .. start+count-1 as a new matrix (copies).</summary>
    public CsrMatrix SliceRows(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        int from = RowOffsets[start], to = RowOffsets[start + count];
        var offsets = new int[count + 1];
        for (int r = 0; r <= count; r++) offsets[r] = RowOffsets[start + r] - from;
        return new CsrMatrix(count, Columns, offsets, ColumnIndices[from..to], Values[from..to]);
    }

    /// <summary>Exact structural and bitwise value equality.</summary>
    public bool ContentEquals(CsrMatrix other) =>
        Rows == other.Rows && Columns == other.Columns &&
        RowOffsets.AsSpan().SequenceEqual(other.RowOffsets) &&
        ColumnIndices.AsSpan().SequenceEqual(other.ColumnIndices) &&
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(Values.AsSpan())
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(other.Values.AsSpan()));
}
