using System.Text;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads Matrix Market coordinate files (real, integer or pattern; general or symmetric, the
/// mirror of symmetric entries added) for layers, images and categories; gzip transparently.
/// </summary>
internal static class MatrixMarketReader
{
    // Entry arrays allocated before any entry is read, at most (the size line's count may be a lie).
    private const int InitialEntriesLimit = 1 << 22;

    /// <summary>The whole matrix as stored (rows x columns of the size line).</summary>
    public static (CsrMatrix Matrix, MatrixMarketHeader Header) Read(string path)
    {
        long maxEntries = InputFile.MaxEntries(path);
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, maxEntries);
    }

    /// <param name="maxEntries">The most entries the stream can hold, when known; by default a seekable stream's remaining length.</param>
    public static (CsrMatrix Matrix, MatrixMarketHeader Header) Read(Stream stream, string name, long? maxEntries = null)
    {
        var (collector, header) = ReadEntries(stream, name, maxEntries, forMatrix: true);
        return (collector.Build(header.Rows, header.Columns), header);
    }

    /// <summary>
    /// The header and entries. For a matrix (<paramref name="forMatrix"/>), the declared rows must be
    /// in proportion to the declared entries before anything of their size is allocated; the
    /// entries' arrays start within what the stream can hold and grow as entries arrive.
    /// </summary>
    private static (CoordinateCollector Entries, MatrixMarketHeader Header) ReadEntries(Stream stream, string name, long? maxEntries, bool forMatrix)
    {
        maxEntries ??= stream.CanSeek ? SizeLimits.MaxEntries(stream.Length - stream.Position, gzip: false) : null;
        var reader = new LineReader(stream, name);
        var header = ReadHeader(reader);
        long sizeLine = reader.LineNumber;
        long stored = header.Symmetric ? 2 * header.Entries : header.Entries;
        if (forMatrix) SizeLimits.CheckRows(name, header.Rows, stored, "the size line", "rows", sizeLine);
        long initial = Math.Min(Math.Min(header.Entries, maxEntries ?? long.MaxValue), InitialEntriesLimit);
        var collector = new CoordinateCollector(name, (int)initial);
        long found = CoordinateText.Read(reader, collector, header.Rows, header.Columns, header.Field == MatrixMarketField.Pattern,
            header.Field == MatrixMarketField.Pattern ? "row column" : "row column value", header.Entries, header.Symmetric);
        if (found < header.Entries)
            throw new SpDnnDataException(name, $"the header announces {header.Entries} entries but the file ends after {found} (truncated?)", reader.LineNumber);
        return (collector, header);
    }

    /// <summary>A layer: the matrix must be N x N for the expected N.</summary>
    public static CsrMatrix ReadLayer(string path, int neurons)
    {
        long maxEntries = InputFile.MaxEntries(path);
        using var stream = InputFile.OpenRead(path);
        return ReadLayer(stream, path, neurons, maxEntries);
    }

    public static CsrMatrix ReadLayer(Stream stream, string name, int neurons, long? maxEntries = null)
    {
        var (matrix, _) = Read(stream, name, maxEntries);
        if (matrix.Rows != neurons || matrix.Columns != neurons)
            throw new SpDnnDataException(name, $"wrong N: the layer is {matrix.Rows} x {matrix.Columns}, expected {neurons} x {neurons}", 1);
        return matrix;
    }

    /// <summary>Images: rows are images 1..M, columns the N neurons.</summary>
    public static ImageBatch ReadImages(string path, int? neurons = null)
    {
        var (matrix, _) = Read(path);
        if (neurons is { } n && matrix.Columns != n)
            throw new SpDnnDataException(path, $"wrong N: the images have {matrix.Columns} pixels, expected {n}", 1);
        return new ImageBatch(matrix, path);
    }

    /// <summary>
    /// Categories from an M x 1 (or 1 x M) vector: the stored entries' indices, ascending. Only the
    /// entries are kept (no matrix of M rows), so M costs nothing.
    /// </summary>
    public static int[] ReadCategories(string path)
    {
        long maxEntries = InputFile.MaxEntries(path);
        using var stream = InputFile.OpenRead(path);
        var (entries, header) = ReadEntries(stream, path, maxEntries, forMatrix: false);
        if (header.Columns != 1 && header.Rows != 1)
            throw new SpDnnDataException(path, $"a categories vector must be M x 1 or 1 x M, not {header.Rows} x {header.Columns}", 1);
        var indices = (header.Columns == 1 ? entries.Rows : entries.Columns).AsSpan(0, entries.CommittedEntries).ToArray();
        Array.Sort(indices);
        for (int i = 1; i < indices.Length; i++)
            if (indices[i] == indices[i - 1])
                throw new SpDnnDataException(path, $"image {indices[i] + 1} is listed twice");
        for (int i = 0; i < indices.Length; i++) indices[i]++;
        return indices;
    }

    private static MatrixMarketHeader ReadHeader(LineReader reader)
    {
        var name = reader.FileName;
        if (!reader.TryReadLine(out var first)) throw new SpDnnDataException(name, "empty file");
        var banner = Encoding.UTF8.GetString(first).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (banner.Length != 5 || !banner[0].Equals("%%MatrixMarket", StringComparison.OrdinalIgnoreCase))
            throw reader.Error("not a Matrix Market file (expected \"%%MatrixMarket matrix coordinate <field> <symmetry>\")");
        if (!banner[1].Equals("matrix", StringComparison.OrdinalIgnoreCase) || !banner[2].Equals("coordinate", StringComparison.OrdinalIgnoreCase))
            throw reader.Error($"only \"matrix coordinate\" Matrix Market files are supported, not \"{banner[1]} {banner[2]}\"");
        MatrixMarketField field = banner[3].ToLowerInvariant() switch
        {
            "real" => MatrixMarketField.Real,
            "integer" => MatrixMarketField.Integer,
            "pattern" => MatrixMarketField.Pattern,
            _ => throw reader.Error($"unsupported Matrix Market field \"{banner[3]}\" (real, integer or pattern)"),
        };
        bool symmetric = banner[4].ToLowerInvariant() switch
        {
            "general" => false,
            "symmetric" => true,
            _ => throw reader.Error($"unsupported Matrix Market symmetry \"{banner[4]}\" (general or symmetric)"),
        };
        while (reader.TryReadLine(out var line))
        {
            if (line.IsEmpty || line[0] == (byte)'%' || TextFields.AtEnd(line, 0)) continue;
            int p = 0;
            if (!TextFields.TryParseIndex(line, ref p, out long rows) || !TextFields.TryParseIndex(line, ref p, out long columns)
                || !TextFields.TryParseIndex(line, ref p, out long entries) || !TextFields.AtEnd(line, p))
                throw reader.Error($"malformed size line, expected \"rows columns entries\": \"{CoordinateText.Preview(line)}\"");
            if (rows < 1 || columns < 1 || rows > SizeLimits.MaxRows || columns > SizeLimits.MaxRows)
                throw reader.Error($"matrix size {rows} x {columns} outside 1..{SizeLimits.MaxRows}");
            long cells = rows * columns, capacity = symmetric ? rows * (rows + 1) / 2 : cells;
            if (entries > capacity)
                throw reader.Error($"{entries} entries announced, more than a {rows} x {columns}{(symmetric ? " symmetric" : "")} matrix holds");
            if (symmetric && rows != columns)
                throw reader.Error($"a symmetric matrix must be square, not {rows} x {columns}");
            return new MatrixMarketHeader(field, symmetric, (int)rows, (int)columns, entries);
        }
        throw new SpDnnDataException(name, "no size line after the banner (empty or truncated file)", reader.LineNumber);
    }
}
