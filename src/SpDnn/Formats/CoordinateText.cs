using System.Buffers;

namespace SpDnn.Formats;

/// <summary>
/// The shared loop of the coordinate text formats (TSV layers and images, Matrix Market
/// entries): each line holds a 1-based row, a 1-based column and, unless the data is a pattern,
/// a value. The input is cut into blocks of whole lines, parsed in parallel while the next
/// blocks are read (and decompressed); each block writes its entries straight into its reserved
/// slots of the collector, and blocks are accepted in file order, so the first problem in line
/// order is the one reported, with its line number.
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
        var inFlight = new Queue<Task<CoordinateBlock>>();
        int window = Math.Max(2, Environment.ProcessorCount + 1);
        long reserved = 0, entries = 0, blankLine = 0;

        void Accept(CoordinateBlock block)
        {
            if (blankLine != 0 && (block.Entries > 0 || block.Error is not null))
                throw new SpDnnDataException(name, "blank line inside the data", blankLine);
            if (block.Error is not null) throw block.Error;
            if (blankLine == 0) blankLine = block.TrailingBlankLine;
            collector.Commit(block);
            entries += block.Entries;
            if (entryLimit >= 0 && entries > entryLimit)
                throw new SpDnnDataException(name, $"more entries than the {entryLimit} the header announces", dataFirstLine + entryLimit);
        }

        try
        {
            while (reader.TryReadBlock(BlockBytes, out var bytes, out int length, out long firstLine, out int lines))
            {
                if (reserved + lines > collector.Capacity)
                {
                    // Parsers write into the arrays: let them finish before the arrays move.
                    while (inFlight.Count > 0) Accept(inFlight.Dequeue().GetAwaiter().GetResult());
                    collector.EnsureCapacity(reserved + lines);
                }
                int start = (int)reserved;
                reserved += lines;
                inFlight.Enqueue(Task.Run(() => Parse(bytes, length, firstLine, start, format, collector)));
                if (inFlight.Count >= window) Accept(inFlight.Dequeue().GetAwaiter().GetResult());
            }
            while (inFlight.Count > 0) Accept(inFlight.Dequeue().GetAwaiter().GetResult());
        }
        finally
        {
            // On an error, wait for the parsers still running: they write into the collector.
            foreach (var task in inFlight) task.Wait();
        }
        return entries;
    }

    private sealed record LineFormat(string File, int RowLimit, int ColumnLimit, bool Pattern, string Layout, bool Mirror);

    private static CoordinateBlock Parse(byte[] bytes, int length, long firstLine, int start, LineFormat f, CoordinateCollector collector)
    {
        var block = new CoordinateBlock();
        try
        {
            var rows = collector.Rows;
            var columns = collector.Columns;
            var values = collector.Values;
            var memo = new RealFieldMemo();
            long lineNumber = firstLine - 1, blankLine = 0;
            int slot = start;
            int lastRow = -1, lastColumn = -1, maxRow = -1, maxColumn = -1;
            bool rowMajor = true, columnMajor = true;
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
                if (blankLine != 0)
                {
                    block.Error = new SpDnnDataException(f.File, "blank line inside the data", blankLine);
                    break;
                }
                if (ParseLine(line, lineNumber, f, ref memo, out int row, out int column, out float value) is { } error)
                {
                    block.Error = error;
                    break;
                }
                rows[slot] = row;
                columns[slot] = column;
                values[slot] = value;
                slot++;
                if (slot == start + 1)
                {
                    block.FirstRow = row;
                    block.FirstColumn = column;
                }
                else
                {
                    rowMajor &= row > lastRow || (row == lastRow && column > lastColumn);
                    columnMajor &= column > lastColumn || (column == lastColumn && row > lastRow);
                }
                lastRow = row;
                lastColumn = column;
                if (row > maxRow) maxRow = row;
                if (column > maxColumn) maxColumn = column;
                if (f.Mirror && row != column) (block.Mirrors ??= []).Add((column, row, value, lineNumber));
            }
            block.Entries = slot - start;
            block.LastRow = lastRow;
            block.LastColumn = lastColumn;
            block.MaxRow = maxRow;
            block.MaxColumn = maxColumn;
            block.RowMajor = rowMajor;
            block.ColumnMajor = columnMajor;
            if (block.Error is null) block.TrailingBlankLine = blankLine;
            return block;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static SpDnnDataException? ParseLine(ReadOnlySpan<byte> line, long lineNumber, LineFormat f, ref RealFieldMemo memo,
        out int row0, out int column0, out float value)
    {
        row0 = column0 = 0;
        value = 1f;
        int p = 0;
        if (!TextFields.TryParseIndex(line, ref p, out long row) || !TextFields.TryParseIndex(line, ref p, out long column))
            return new(f.File, $"malformed line, expected {f.Layout}: \"{Preview(line)}\"", lineNumber);
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
        row0 = (int)row - 1;
        column0 = (int)column - 1;
        return null;
    }

    public static string Preview(ReadOnlySpan<byte> line)
    {
        var text = System.Text.Encoding.UTF8.GetString(line.Length > 60 ? line[..60] : line).Replace("\t", "\\t");
        return line.Length > 60 ? text + "..." : text;
    }
}
