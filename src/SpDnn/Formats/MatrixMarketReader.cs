using System.Text;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads Matrix Market coordinate files (real, integer or pattern; general or symmetric, the
/// mirror of symmetric entries added) for layers, images and categories; gzip transparently.
/// </summary>
public static class MatrixMarketReader
{
    /// <summary>The whole matrix as stored (rows x columns of the size line).</summary>
    public static (CsrMatrix Matrix, MatrixMarketHeader Header) Read(string path)
    {
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path);
    }

    public static (CsrMatrix Matrix, MatrixMarketHeader Header) Read(Stream stream, string name)
    {
        var reader = new LineReader(stream, name);
        var header = ReadHeader(reader);
        var collector = new CoordinateCollector(name, capacityHint: (int)Math.Min(header.Entries, 1 << 26));
        long found = CoordinateText.Read(reader, collector, header.Rows, header.Columns, header.Field == MatrixMarketField.Pattern,
            header.Field == MatrixMarketField.Pattern ? "row column" : "row column value", header.Entries, header.Symmetric);
        if (found < header.Entries)
            throw new SpDnnDataException(name, $"the header announces {header.Entries} entries but the file ends after {found} (truncated?)", reader.LineNumber);
        return (collector.Build(header.Rows, header.Columns), header);
    }

    /// <summary>A layer: the matrix must be N x N for the expected N.</summary>
    public static CsrMatrix ReadLayer(string path, int neurons)
    {
        using var stream = InputFile.OpenRead(path);
        return ReadLayer(stream, path, neurons);
    }

    public static CsrMatrix ReadLayer(Stream stream, string name, int neurons)
    {
        var (matrix, _) = Read(stream, name);
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

    /// <summary>Categories from an M x 1 (or 1 x M) vector: the stored entries' indices, ascending.</summary>
    public static int[] ReadCategories(string path)
    {
        var (matrix, header) = Read(path);
        if (header.Columns == 1)
        {
            var list = new List<int>();
            for (int r = 0; r < matrix.Rows; r++) if (matrix.RowLength(r) > 0) list.Add(r + 1);
            return [.. list];
        }
        if (header.Rows == 1) return [.. matrix.RowIndices(0).ToArray().Select(c => c + 1)];
        throw new SpDnnDataException(path, $"a categories vector must be M x 1 or 1 x M, not {header.Rows} x {header.Columns}", 1);
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
            if (rows < 1 || columns < 1 || rows > int.MaxValue || columns > int.MaxValue)
                throw reader.Error($"matrix size {rows} x {columns} outside 1..{int.MaxValue}");
            if (symmetric && rows != columns)
                throw reader.Error($"a symmetric matrix must be square, not {rows} x {columns}");
            return new MatrixMarketHeader(field, symmetric, (int)rows, (int)columns, entries);
        }
        throw new SpDnnDataException(name, "no size line after the banner (empty or truncated file)", reader.LineNumber);
    }
}
