using System.Buffers;

namespace SpDnn.Formats;

/// <summary>
/// The shared loop of the coordinate text formats (TSV layers and images, Matrix Market
/// entries): each line holds a 1-based row, a 1-based column and, unless the data is a pattern,
/// a value. The input is cut into blocks of whole lines that are parsed in parallel while the
/// next blocks are read (and decompressed), then merged in order; the first problem in line
/// order is reported with its line number.
/// </summary>
internal static class CoordinateText
{
    private const int BlockBytes = 4 << 20;

    /// <param name="rowLimit">Largest valid row (1-based), or 0 when unknown.</param>
    /// <param name="columnLimit">Largest valid column (1-based), or 0 when unknown.</param>
    /// <param name="layout">The expected line, for messages.</param>
    /// <param name="entryLimit">An error past this many entries (a Matrix Market header's count), or −1.</param>
    /// <param name="mirror">Also add (column, row) for off-diagonal entries (Matrix Market symmetric).</param>
    /// <returns>Entries read (lines of data; mirrors not counted).</returns>
    public static long Read(LineReader reader, CoordinateCollector collector, int rowLimit, int columnLimit, bool pattern,
        string layout, long entryLimit = -1, bool mirror = false)
    {
        string name = reader.FileName;
        long dataFirstLine = reader.LineNumber + 1;
        collector.FirstLine = dataFirstLine;
        var format = new LineFormat(name, rowLimit, columnLimit, pattern, layout, mirror);
        var inFlight = new Queue<Task<Block>>();
        int window = Math.Max(2, Environment.ProcessorCount + 1);
        long entries = 0, blankLine = 0;

        void Merge(Block block)
        {
            if (blankLine != 0 && (block.Entries > 0 || block.Error is not null))
                throw new SpDnnDataException(name, "blank line inside the data", blankLine);
            if (block.Error is not null) throw block.Error;
            if (blankLine == 0) blankLine = block.TrailingBlankLine;
            collector.Append(block.Collector);
            entries += block.Entries;
            if (entryLimit >= 0 && entries > entryLimit)
                throw new SpDnnDataException(name, $"more entries than the {entryLimit} the header announces", dataFirstLine + entryLimit);
        }

        while (reader.TryReadBlock(BlockBytes, out var bytes, out int length, out long firstLine))
        {
            inFlight.Enqueue(Task.Run(() => Parse(bytes, length, firstLine, format)));
            if (inFlight.Count >= window) Merge(inFlight.Dequeue().GetAwaiter().GetResult());
        }
        while (inFlight.Count > 0) Merge(inFlight.Dequeue().GetAwaiter().GetResult());
        return entries;
    }

    private sealed record LineFormat(string File, int RowLimit, int ColumnLimit, bool Pattern, string Layout, bool Mirror);

    /// <summary>A parsed block: its entries, or the first error in it; a blank line that ends it (allowed only at the end of the data).</summary>
    private sealed record Block(CoordinateCollector Collector, long Entries, long TrailingBlankLine, SpDnnDataException? Error);

    private static Block Parse(byte[] bytes, int length, long firstLine, LineFormat f)
    {
        var collector = new CoordinateCollector(f.File, trackLines: f.Mirror, capacityHint: length / 16);
        long entries = 0, blankLine = 0, lineNumber = firstLine - 1;
        var memo = new RealFieldMemo();
        try
        {
            var rest = bytes.AsSpan(0, length);
            while (!rest.IsEmpty)
            {
                int newline = rest.IndexOf((byte)'\n');
                var line = LineReader.Trim(newline >= 0 ? rest[..newline] : rest);
                rest = newline >= 0 ? rest[(newline + 1)..] : default;
                lineNumber++;
                if (line.IsEmpty || TextFields.AtEnd(line, 0))
                {
                    if (blankLine == 0) blankLine = lineNumber;
                    continue;
                }
                if (blankLine != 0) return new Block(collector, entries, 0, new SpDnnDataException(f.File, "blank line inside the data", blankLine));
                var error = ParseLine(line, lineNumber, f, ref memo, collector);
                if (error is not null) return new Block(collector, entries, 0, error);
                entries++;
            }
            return new Block(collector, entries, blankLine, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static SpDnnDataException? ParseLine(ReadOnlySpan<byte> line, long lineNumber, LineFormat f, ref RealFieldMemo memo, CoordinateCollector collector)
    {
        int p = 0;
        if (!TextFields.TryParseIndex(line, ref p, out long row) || !TextFields.TryParseIndex(line, ref p, out long column))
            return new(f.File, $"malformed line, expected {f.Layout}: \"{Preview(line)}\"", lineNumber);
        float value = 1f;
        if (!f.Pattern && !memo.TryParse(line, ref p, out value))
            return new(f.File, $"malformed line, expected {f.Layout}: \"{Preview(line)}\"", lineNumber);
        if (!TextFields.AtEnd(line, p))
            return new(f.File, $"malformed line, unexpected text after {f.Layout}: \"{Preview(line)}\"", lineNumber);
        if (row < 1 || (f.RowLimit > 0 && row > f.RowLimit) || row > int.MaxValue)
            return new(f.File, $"row index {row} outside 1..{(f.RowLimit > 0 ? f.RowLimit : int.MaxValue)}", lineNumber);
        if (column < 1 || (f.ColumnLimit > 0 && column > f.ColumnLimit) || column > int.MaxValue)
            return new(f.File, $"column index {column} outside 1..{(f.ColumnLimit > 0 ? f.ColumnLimit : int.MaxValue)}", lineNumber);
        if (!float.IsFinite(value))
            return new(f.File, $"value {Preview(line[(line.LastIndexOfAny((byte)'\t', (byte)' ') + 1)..])} is not a finite number", lineNumber);
        collector.Add((int)row - 1, (int)column - 1, value, lineNumber);
        if (f.Mirror && row != column) collector.Add((int)column - 1, (int)row - 1, value, lineNumber);
        return null;
    }

    public static string Preview(ReadOnlySpan<byte> line)
    {
        var text = System.Text.Encoding.UTF8.GetString(line.Length > 60 ? line[..60] : line).Replace("\t", "\\t");
        return line.Length > 60 ? text + "..." : text;
    }
}
