using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// A memory-mapped SpDnn binary file. The header and index are checked on opening; each section
/// is checked (checksum, then structure) when it is read, so random access to one layer touches
/// only that layer's bytes. Safe for concurrent reads of different sections.
/// </summary>
internal sealed unsafe class BinaryFileReader : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly BinarySection[] _sections;

    public BinaryFileReader(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        _length = new FileInfo(path).Length;
        if (_length < BinaryFormat.HeaderSize)
            throw new SpDnnDataException(path, _length == 0 ? "empty file" : $"truncated binary file: {_length} bytes, shorter than the header", byteOffset: _length);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            _map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, _length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        try
        {
            Header = BinaryHeader.ReadFrom(Bytes(0, BinaryFormat.HeaderSize), path);
            if (Header.FileLength != _length)
                throw new SpDnnDataException(path, Header.FileLength > _length
                    ? $"truncated binary file: {_length} bytes, the header records {Header.FileLength}"
                    : $"binary file has {_length - Header.FileLength} unexpected bytes after its end", byteOffset: Math.Min(_length, Header.FileLength));
            long indexLength = (long)Header.Sections * BinaryFormat.IndexEntrySize;
            if (Header.IndexOffset < BinaryFormat.HeaderSize || Header.IndexOffset + indexLength + 8 != _length)
                throw new SpDnnDataException(path, "corrupt header (index does not fit the file)", byteOffset: 32);
            var index = Bytes(Header.IndexOffset, indexLength);
            if (BitConverter.ToUInt64(Bytes(Header.IndexOffset + indexLength, 8)) != BinaryFormat.Checksum(index))
                throw new SpDnnDataException(path, "corrupt index (checksum mismatch)", byteOffset: Header.IndexOffset);
            _sections = new BinarySection[Header.Sections];
            for (int i = 0; i < _sections.Length; i++)
            {
                var s = BinarySection.ReadFrom(index[(i * BinaryFormat.IndexEntrySize)..]);
                if (Header.Version == BinaryFormat.Version) s = s with { Columns = 0, Cap = 0 }; // reserved bytes in version 1
                else if (s.Columns < 1 || BinaryFormat.Decode(s.Flags & ~BinaryFormat.FlagBias, s.Cap) is null)
                    throw new SpDnnDataException(path, $"corrupt index entry {i + 1} (columns {s.Columns}, flags {s.Flags}, cap {s.Cap})", byteOffset: Header.IndexOffset + (long)i * BinaryFormat.IndexEntrySize);
                int biasLength = (s.Flags & BinaryFormat.FlagBias) != 0 ? ColumnsOf(s) : 0;
                if (s.Offset < BinaryFormat.HeaderSize || s.Offset + s.Length > Header.IndexOffset || s.Rows < 0 || s.NonZeros < 0
                    || s.NonZeros > int.MaxValue || BinaryFormat.SectionLayout(s.Rows, s.NonZeros, biasLength).End != s.Length)
                    throw new SpDnnDataException(path, $"corrupt index entry {i + 1}", byteOffset: Header.IndexOffset + (long)i * BinaryFormat.IndexEntrySize);
                _sections[i] = s;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }
    public BinaryHeader Header { get; }
    public int SectionCount => _sections.Length;
    public BinarySection Section(int index) => _sections[index];

    private ReadOnlySpan<byte> Bytes(long offset, long length) => new(_base + offset, checked((int)length));

    /// <summary>Columns of a section's matrix: its own in version 2, the header's in version 1.</summary>
    private int ColumnsOf(BinarySection s) => s.Columns > 0 ? s.Columns : Header.Columns;

    /// <summary>Section <paramref name="index"/> as a matrix (<see cref="BinaryHeader.Columns"/> columns, or the section's own in version 2), and its bias if stored.</summary>
    /// <param name="index">0-based section index.</param>
    /// <param name="recycled">A matrix this reader gave out before and nothing reads any more: its arrays are overwritten where their lengths fit.</param>
    /// <param name="parallel">Copy and check the section on all cores (an image set of gigabytes, see
    /// <see cref="ParallelBytes"/>); false for sections read by several threads at once (network layers).</param>
    public (CsrMatrix Matrix, float[]? Bias) ReadSection(int index, CsrMatrix? recycled = null, bool parallel = false)
    {
        var s = _sections[index];
        int columns = ColumnsOf(s);
        int biasLength = (s.Flags & BinaryFormat.FlagBias) != 0 ? columns : 0;
        var layout = BinaryFormat.SectionLayout(s.Rows, s.NonZeros, biasLength);
        int nnz = (int)s.NonZeros;
        var offsets = Reuse(recycled?.RowOffsets, s.Rows + 1);
        var cols = Reuse(recycled?.ColumnIndices, nnz);
        var vals = Reuse(recycled?.Values, nnz);
        float[]? bias = biasLength > 0 ? GC.AllocateUninitializedArray<float>(biasLength) : null;
        var targets = new SectionTargets(offsets, cols, vals, bias,
            [(0, 4L * offsets.Length), (layout.Columns, 4L * nnz), (layout.Values, 4L * nnz), (layout.Bias, 4L * biasLength)]);
        int pieces = (int)((s.Length + CopyPieceBytes - 1) / CopyPieceBytes);
        ulong checksum;
        if (parallel)
        {
            // The checksum runs over the file's bytes in order on one core while the others copy
            // (most of the time is page faults: the mapping's and the new arrays', which cores take in parallel).
            checksum = 0;
            Parallel.Invoke(
                () => checksum = Checksum(s.Offset, s.Length),
                () => Parallel.For(0, pieces, piece => CopyPiece(s, piece, targets)));
        }
        else
        {
            // One pass over the section: each piece hashed, then copied out while it is in cache.
            var hash = new System.IO.Hashing.XxHash64();
            for (int piece = 0; piece < pieces; piece++)
            {
                long done = (long)piece * CopyPieceBytes;
                hash.Append(new ReadOnlySpan<byte>(_base + s.Offset + done, (int)Math.Min(s.Length - done, CopyPieceBytes)));
                CopyPiece(s, piece, targets);
            }
            checksum = hash.GetCurrentHashAsUInt64();
        }
        if (checksum != s.Checksum)
            throw new SpDnnDataException(Path, $"corrupt section {index + 1} (checksum mismatch)", byteOffset: s.Offset);
        Validate(index, s, offsets, cols, columns, parallel);
        return (new CsrMatrix(s.Rows, columns, offsets, cols, vals), bias);
    }

    /// <summary>The arrays a section is copied into, and where each starts and how long it is in the section.</summary>
    private sealed record SectionTargets(int[] Offsets, int[] Columns, float[] Values, float[]? Bias, (long Offset, long Bytes)[] Parts)
    {
        public Span<byte> Bytes(int part) => part switch
        {
            0 => MemoryMarshal.AsBytes(Offsets.AsSpan()),
            1 => MemoryMarshal.AsBytes(Columns.AsSpan()),
            2 => MemoryMarshal.AsBytes(Values.AsSpan()),
            _ => MemoryMarshal.AsBytes(Bias.AsSpan()),
        };
    }

    /// <summary>Copies piece <paramref name="piece"/> of section <paramref name="s"/> (<see cref="CopyPieceBytes"/> bytes) into the arrays it falls in.</summary>
    private void CopyPiece(BinarySection s, int piece, SectionTargets targets)
    {
        long done = (long)piece * CopyPieceBytes;
        int length = (int)Math.Min(s.Length - done, CopyPieceBytes);
        for (int a = 0; a < targets.Parts.Length; a++)
        {
            var (offset, bytes) = targets.Parts[a];
            long from = Math.Max(done, offset), to = Math.Min(done + length, offset + bytes);
            if (from >= to) continue;
            new ReadOnlySpan<byte>(_base + s.Offset + from, (int)(to - from)).CopyTo(targets.Bytes(a)[(int)(from - offset)..]);
        }
    }

    /// <summary>Bytes of a section hashed and copied at a time: small enough to stay in a core's cache in between.</summary>
    private const int CopyPieceBytes = 256 << 10;

    /// <summary>Sections from this size on are worth reading on all cores (64 MiB: an image set of N = 4096 and up, not a layer).</summary>
    public const long ParallelBytes = 64L << 20;

    /// <summary><paramref name="recycled"/> when it has <paramref name="length"/> elements, else a new array.</summary>
    private static T[] Reuse<T>(T[]? recycled, int length) => recycled?.Length == length ? recycled : GC.AllocateUninitializedArray<T>(length);

    /// <summary>
    /// Rows <paramref name="start"/> .. start+count-1 of section <paramref name="index"/>, copying only
    /// those rows (an MPI rank's slice of an image set). The checksum covers the whole section, so
    /// it is verified over the mapped bytes, which are read but not kept.
    /// </summary>
    public CsrMatrix ReadRows(int index, int start, int count)
    {
        var s = _sections[index];
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)start + count > s.Rows) throw new ArgumentOutOfRangeException(nameof(count), $"rows {start}..{start + count - 1} lie beyond the {s.Rows} rows of section {index + 1}");
        if (Checksum(s.Offset, s.Length) != s.Checksum)
            throw new SpDnnDataException(Path, $"corrupt section {index + 1} (checksum mismatch)", byteOffset: s.Offset);
        int columns = ColumnsOf(s);
        var layout = BinaryFormat.SectionLayout(s.Rows, s.NonZeros, 0);
        var offsets = Copy<int>(s.Offset + 4L * start, count + 1);
        int first = offsets[0], end = offsets[^1];
        if (first < 0 || end < first || end > s.NonZeros)
            throw new SpDnnDataException(Path, $"section {index + 1}: row offsets of rows {start + 1}..{start + count} lie outside its {s.NonZeros} entries", byteOffset: s.Offset + 4L * start);
        var cols = Copy<int>(s.Offset + layout.Columns + 4L * first, end - first);
        var vals = Copy<float>(s.Offset + layout.Values + 4L * first, end - first);
        for (int r = 0; r <= count; r++) offsets[r] -= first;
        if (FirstBadRow(index, s, offsets, cols, columns, 0, count, start, s.Offset + layout.Columns + 4L * first) is { } problem) throw problem;
        return new CsrMatrix(count, columns, offsets, cols, vals);
    }

    // Sections of large image sets exceed 2 GiB, beyond one span: hash and copy through pointers.
    private ulong Checksum(long offset, long length)
    {
        var hash = new System.IO.Hashing.XxHash64();
        for (long done = 0; done < length;)
        {
            int chunk = (int)Math.Min(length - done, 1 << 30);
            hash.Append(new ReadOnlySpan<byte>(_base + offset + done, chunk));
            done += chunk;
        }
        return hash.GetCurrentHashAsUInt64();
    }

    private T[] Copy<T>(long offset, int count) where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(count);
        long bytes = (long)count * sizeof(T);
        fixed (T* target = result) Buffer.MemoryCopy(_base + offset, target, bytes, bytes);
        return result;
    }

    /// <summary>Checks what a checksum cannot: that a well-formed writer produced the arrays (on all cores when <paramref name="parallel"/>; the first bad row is reported either way).</summary>
    private void Validate(int index, BinarySection s, int[] offsets, int[] cols, int columns, bool parallel)
    {
        if (offsets[0] != 0 || offsets[^1] != cols.Length)
            throw new SpDnnDataException(Path, $"section {index + 1}: row offsets do not span its {cols.Length} entries", byteOffset: s.Offset);
        const int RowsPerRange = 4096;
        int ranges = (s.Rows + RowsPerRange - 1) / RowsPerRange;
        long columnsAt = s.Offset + BinaryFormat.SectionLayout(s.Rows, s.NonZeros, 0).Columns;
        if (!parallel || ranges < 2)
        {
            if (FirstBadRow(index, s, offsets, cols, columns, 0, s.Rows, 0, columnsAt) is { } problem) throw problem;
            return;
        }
        var problems = new SpDnnDataException?[ranges];
        Parallel.For(0, ranges, r => problems[r] = FirstBadRow(index, s, offsets, cols, columns, r * RowsPerRange, Math.Min(s.Rows, (r + 1) * RowsPerRange), 0, columnsAt));
        if (problems.FirstOrDefault(p => p is not null) is { } first) throw first;
    }

    /// <summary>
    /// The error for the first row of <paramref name="start"/> .. <paramref name="end"/> - 1 whose
    /// offsets or columns are wrong; null when all are right. The arrays may hold a slice of the
    /// section: its row i is the section's row <paramref name="firstRow"/> + i, and its entry p lies
    /// at byte <paramref name="columnsAt"/> + 4p of the file (what the messages name).
    /// </summary>
    private SpDnnDataException? FirstBadRow(int index, BinarySection s, int[] offsets, int[] cols, int columns, int start, int end, int firstRow, long columnsAt)
    {
        for (int r = start; r < end; r++)
        {
            int from = offsets[r], to = offsets[r + 1], row = firstRow + r + 1;
            // from < 0: an earlier row decreased (reported by the range holding it, which comes first).
            if (from < 0 || to < from || to > cols.Length)
                return new SpDnnDataException(Path, $"section {index + 1}: row offsets decrease at row {row}", byteOffset: s.Offset + 4L * row);
            int previous = -1;
            for (int p = from; p < to; p++)
            {
                int c = cols[p];
                if (c <= previous || c >= columns)
                    return new SpDnnDataException(Path, $"section {index + 1}: column {c} in row {row} is out of order or outside 0..{columns - 1}", byteOffset: columnsAt + 4L * p);
                previous = c;
            }
        }
        return null;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
