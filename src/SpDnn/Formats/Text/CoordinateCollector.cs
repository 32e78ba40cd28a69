using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// The entries of one coordinate text file (0-based row, column, value), written in place by
/// the block parsers of <see cref="CoordinateText"/>: each block owns a slice reserved for it in
/// file order (one slot per line), so no entry is copied between parsing and building the CSR
/// matrix. Entries in row-major order (as image files usually are) become CSR directly,
/// column-major order (the official layer files) by one scatter, any other order by a sort.
/// Mirrored entries of symmetric Matrix Market files are kept apart, with their lines.
/// </summary>
internal sealed class CoordinateCollector
{
    private readonly string _file;
    private int[] _rows;
    private int[] _columns;
    private float[] _values;
    private int _count;
    private bool _rowMajor = true;
    private bool _columnMajor = true;
    private int _lastRow = -1;
    private int _lastColumn = -1;
    private readonly List<(int Row, int Column, float Value, long Line)> _mirrors = [];

    public CoordinateCollector(string file, int capacityHint = 1024)
    {
        _file = file;
        int capacity = Math.Max(16, capacityHint);
        _rows = new int[capacity];
        _columns = new int[capacity];
        _values = new float[capacity];
    }

    /// <summary>Entries committed, mirrors included.</summary>
    public int Count => _count + _mirrors.Count;

    public int Capacity => _rows.Length;

    /// <summary>Largest 0-based row and column seen (−1 when empty).</summary>
    public int MaxRow { get; private set; } = -1;
    public int MaxColumn { get; private set; } = -1;

    /// <summary>Line of the first entry: entry e of the file sits on line FirstLine + e.</summary>
    public long FirstLine { get; set; } = 1;

    internal int[] Rows => _rows;
    internal int[] Columns => _columns;
    internal float[] Values => _values;

    /// <summary>Grows the arrays to hold <paramref name="entries"/>; only while no block is being parsed.</summary>
    public void EnsureCapacity(long entries)
    {
        if (entries <= _rows.Length) return;
        if (entries > Array.MaxLength) throw new SpDnnDataException(_file, "too many entries for one matrix (more than 2^31)");
        int next = (int)Math.Min(Array.MaxLength, Math.Max(entries, 2L * _rows.Length));
        Array.Resize(ref _rows, next);
        Array.Resize(ref _columns, next);
        Array.Resize(ref _values, next);
    }

    /// <summary>Accepts a parsed block whose entries were written from slot <see cref="CommittedEntries"/> on.</summary>
    public void Commit(in CoordinateBlock block)
    {
        if (block.Entries > 0)
        {
            if (_count > 0 || _mirrors.Count > 0)
            {
                _rowMajor &= block.FirstRow > _lastRow || (block.FirstRow == _lastRow && block.FirstColumn > _lastColumn);
                _columnMajor &= block.FirstColumn > _lastColumn || (block.FirstColumn == _lastColumn && block.FirstRow > _lastRow);
            }
            _rowMajor &= block.RowMajor;
            _columnMajor &= block.ColumnMajor;
            _lastRow = block.LastRow;
            _lastColumn = block.LastColumn;
            MaxRow = Math.Max(MaxRow, block.MaxRow);
            MaxColumn = Math.Max(MaxColumn, block.MaxColumn);
            _count += block.Entries;
        }
        if (block.Mirrors is { Count: > 0 } mirrors)
        {
            _mirrors.AddRange(mirrors);
            _rowMajor = _columnMajor = false;
            foreach (var m in mirrors)
            {
                MaxRow = Math.Max(MaxRow, m.Row);
                MaxColumn = Math.Max(MaxColumn, m.Column);
            }
        }
    }

    /// <summary>Primary entries committed so far: the next block's first slot.</summary>
    public int CommittedEntries => _count;

    private long LineOf(int entry) => entry < _count ? FirstLine + entry : _mirrors[entry - _count].Line;

    /// <summary>The later of the lines holding the same coordinates as <paramref name="entry"/> (an error path: a scan is fine).</summary>
    private long RepeatingLine(int entry, int total)
    {
        long line = 0;
        for (int e = 0; e < total; e++)
            if (_rows[e] == _rows[entry] && _columns[e] == _columns[entry]) line = Math.Max(line, LineOf(e));
        return line;
    }

    /// <summary>The line of an entry in the largest row (an error path: a scan is fine).</summary>
    public long LineOfMaxRow()
    {
        for (int e = 0; e < _count; e++)
            if (_rows[e] == MaxRow) return LineOf(e);
        foreach (var m in _mirrors)
            if (m.Row == MaxRow) return m.Line;
        return FirstLine;
    }

    public CsrMatrix Build(int rows, int columns)
    {
        // Callers check the rows against the entries with a message of their own; this is the last guard.
        SizeLimits.CheckRows(_file, rows, Count, "matrix", "rows");
        if (_mirrors.Count > 0)
        {
            EnsureCapacity((long)_count + _mirrors.Count);
            for (int i = 0; i < _mirrors.Count; i++)
                (_rows[_count + i], _columns[_count + i], _values[_count + i], _) = _mirrors[i];
        }
        int total = Count;
        if (_rowMajor)
        {
            var offsets = new int[rows + 1];
            for (int e = 0; e < total; e++) offsets[_rows[e] + 1]++;
            for (int r = 0; r < rows; r++) offsets[r + 1] += offsets[r];
            return new CsrMatrix(rows, columns, offsets, Exact(_columns, total), Exact(_values, total));
        }
        if (_columnMajor)
        {
            // Columns ascend through the file, so scattering by row keeps each row's columns ascending.
            var offsets = new int[rows + 1];
            for (int e = 0; e < total; e++) offsets[_rows[e] + 1]++;
            for (int r = 0; r < rows; r++) offsets[r + 1] += offsets[r];
            var cursor = offsets.AsSpan(0, rows).ToArray();
            var cols = new int[total];
            var vals = new float[total];
            for (int e = 0; e < total; e++)
            {
                int p = cursor[_rows[e]]++;
                cols[p] = _columns[e];
                vals[p] = _values[e];
            }
            return new CsrMatrix(rows, columns, offsets, cols, vals);
        }
        return CsrMatrix.FromCoordinates(rows, columns, _rows.AsSpan(0, total), _columns.AsSpan(0, total), _values.AsSpan(0, total),
            duplicate => throw new SpDnnDataException(_file,
                $"duplicate entry ({_rows[duplicate] + 1}, {_columns[duplicate] + 1})", RepeatingLine(duplicate, total)));
    }

    private static T[] Exact<T>(T[] array, int length) => array.Length == length ? array : array[..length];
}

/// <summary>What the parser of one block found: its entries' order and extent, or its first error.</summary>
internal sealed class CoordinateBlock
{
    /// <summary>Lines in the block, blank ones included.</summary>
    public int Lines;
    public int Entries;
    public int FirstRow, FirstColumn, LastRow = -1, LastColumn = -1;
    public int MaxRow = -1, MaxColumn = -1;
    public bool RowMajor = true, ColumnMajor = true;
    /// <summary>A blank line after which the block holds only blank lines (allowed at the very end of the data).</summary>
    public long TrailingBlankLine;
    /// <summary>How many blank lines end the block (from <see cref="TrailingBlankLine"/> on).</summary>
    public long TrailingBlankLines;
    public SpDnnDataException? Error;
    public List<(int Row, int Column, float Value, long Line)>? Mirrors;
}
