using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Gathers 0-based (row, column, value) entries from a text file and builds a CSR matrix.
/// Entries already in row-major order (as image files usually are) go straight into CSR arrays;
/// column-major order (the official layer files) becomes CSR by one transposition; any other
/// order is sorted at the end. Duplicates are reported with the line that repeats an entry.
/// </summary>
internal sealed class CoordinateCollector
{
    private readonly string _file;
    private int[] _rows;
    private int[] _columns;
    private float[] _values;
    private int[]? _lines;
    private int _count;
    private bool _rowMajor = true;
    private bool _columnMajor = true;
    private int _lastRow = -1;
    private int _lastColumn = -1;

    /// <param name="file">For messages.</param>
    /// <param name="trackLines">Record each entry's line (when entries do not map one to one onto consecutive lines).</param>
    /// <param name="capacityHint">Expected entries.</param>
    public CoordinateCollector(string file, bool trackLines, int capacityHint = 1024)
    {
        _file = file;
        int capacity = Math.Max(16, capacityHint);
        _rows = new int[capacity];
        _columns = new int[capacity];
        _values = new float[capacity];
        if (trackLines) _lines = new int[capacity];
    }

    public int Count => _count;

    /// <summary>Largest 0-based row and column seen (−1 when empty).</summary>
    public int MaxRow { get; private set; } = -1;
    public int MaxColumn { get; private set; } = -1;

    /// <summary>Line of the first entry, when lines are not tracked (entry e sits on line FirstLine + e).</summary>
    public long FirstLine { get; set; } = 1;

    public void Add(int row, int column, float value, long line)
    {
        if (_count == _rows.Length) Grow();
        int c = _count++;
        _rows[c] = row;
        _columns[c] = column;
        _values[c] = value;
        if (_lines is not null) _lines[c] = (int)Math.Min(line, int.MaxValue);
        if (row > MaxRow) MaxRow = row;
        if (column > MaxColumn) MaxColumn = column;
        if (_rowMajor && !(row > _lastRow || (row == _lastRow && column > _lastColumn))) _rowMajor = false;
        if (_columnMajor && !(column > _lastColumn || (column == _lastColumn && row > _lastRow))) _columnMajor = false;
        _lastRow = row;
        _lastColumn = column;
    }

    /// <summary>Appends the entries of <paramref name="other"/> (which follow this collector's in the file).</summary>
    public void Append(CoordinateCollector other)
    {
        if (other._count == 0) return;
        if (_count > 0)
        {
            int row = other._rows[0], column = other._columns[0];
            _rowMajor &= row > _lastRow || (row == _lastRow && column > _lastColumn);
            _columnMajor &= column > _lastColumn || (column == _lastColumn && row > _lastRow);
        }
        _rowMajor &= other._rowMajor;
        _columnMajor &= other._columnMajor;
        _lastRow = other._lastRow;
        _lastColumn = other._lastColumn;
        MaxRow = Math.Max(MaxRow, other.MaxRow);
        MaxColumn = Math.Max(MaxColumn, other.MaxColumn);
        long total = (long)_count + other._count;
        if (total > Array.MaxLength) throw new SpDnnDataException(_file, "too many entries for one matrix (more than 2^31)");
        while (_rows.Length < total) Grow();
        other._rows.AsSpan(0, other._count).CopyTo(_rows.AsSpan(_count));
        other._columns.AsSpan(0, other._count).CopyTo(_columns.AsSpan(_count));
        other._values.AsSpan(0, other._count).CopyTo(_values.AsSpan(_count));
        if (_lines is not null && other._lines is not null) other._lines.AsSpan(0, other._count).CopyTo(_lines.AsSpan(_count));
        _count = (int)total;
    }

    private void Grow()
    {
        int next = (int)Math.Min(Array.MaxLength, (long)_rows.Length * 2);
        if (next == _rows.Length) throw new SpDnnDataException(_file, "too many entries for one matrix (more than 2^31)");
        Array.Resize(ref _rows, next);
        Array.Resize(ref _columns, next);
        Array.Resize(ref _values, next);
        if (_lines is not null) Array.Resize(ref _lines, next);
    }

    private long LineOf(int entry) => _lines is not null ? _lines[entry] : FirstLine + entry;

    public CsrMatrix Build(int rows, int columns)
    {
        if (_rowMajor)
        {
            var offsets = new int[rows + 1];
            for (int e = 0; e < _count; e++) offsets[_rows[e] + 1]++;
            for (int r = 0; r < rows; r++) offsets[r + 1] += offsets[r];
            var cols = _count == _columns.Length ? _columns : _columns[.._count];
            var vals = _count == _values.Length ? _values : _values[.._count];
            return new CsrMatrix(rows, columns, offsets, cols, vals);
        }
        if (_columnMajor)
        {
            // The official layer order: build the transpose directly, then transpose it.
            var offsets = new int[columns + 1];
            for (int e = 0; e < _count; e++) offsets[_columns[e] + 1]++;
            for (int c = 0; c < columns; c++) offsets[c + 1] += offsets[c];
            return new CsrMatrix(columns, rows, offsets, _rows[.._count], _values[.._count]).Transpose();
        }
        return CsrMatrix.FromCoordinates(rows, columns, _rows.AsSpan(0, _count), _columns.AsSpan(0, _count), _values.AsSpan(0, _count),
            duplicate => throw new SpDnnDataException(_file,
                $"duplicate entry ({_rows[duplicate] + 1}, {_columns[duplicate] + 1})", LineOf(duplicate)));
    }
}
