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

    /// <summary>
    /// Blank lines accepted after the data. A few are common; millions are not a data file (a
    /// gzip file of newlines expands a thousandfold) and stop here instead of being read to the end.
    /// </summary>
    public const int MaxTrailingBlankLines = 1 << 16;

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
        long reserved = 0, entries = 0, blankLine = 0, trailingBlankLines = 0;
        long cells = rowLimit > 0 && columnLimit > 0 ? (long)rowLimit * columnLimit : long.MaxValue;

        void Accept(CoordinateBlock block)
        {
            if (blankLine != 0 && (block.Entries > 0 || block.Error is not null))
                throw new SpDnnDataException(name, "blank line inside the data", blankLine);
            if (block.Error is not null) throw block.Error;
            if (blankLine != 0) trailingBlankLines += block.Lines;
            else if (block.TrailingBlankLine != 0) (blankLine, trailingBlankLines) = (block.TrailingBlankLine, block.TrailingBlankLines);
            if (trailingBlankLines > MaxTrailingBlankLines)
                throw new SpDnnDataException(name, $"more than {MaxTrailingBlankLines} blank lines after the data, which ends before this line", blankLine);
            collector.Commit(block);
            entries += block.Entries;
            if (entryLimit >= 0 && entries > entryLimit)
                throw new SpDnnDataException(name, $"more entries than the {entryLimit} the header announces", dataFirstLine + entryLimit);
            if (entries > cells)
                throw new SpDnnDataException(name, $"more entries than a {rowLimit} x {columnLimit} matrix holds (repeated entries?)", dataFirstLine + cells);
        }

        try
        {
            while (reader.TryReadBlock(BlockBytes, out var bytes, out int length, out long firstLine, out int lines))
            {
                // Slots for the entries the block can hold: one per line, but no more than its bytes allow
                // (a block of blank lines needs few), and none once the data has ended (any entry is then an error).
                int slots = blankLine != 0 ? 0 : (int)Math.Min(lines, (length + 1L) / SizeLimits.MinEntryBytes);
                if (reserved + slots > collector.Capacity)
                {
                    // Parsers write into the arrays: let them finish before the arrays move.
                    while (inFlight.Count > 0) Accept(inFlight.Dequeue().GetAwaiter().GetResult());
                    if (blankLine != 0) slots = 0;
                    else collector.EnsureCapacity(reserved + slots);
                }
                int start = (int)reserved;
                reserved += slots;
                inFlight.Enqueue(Task.Run(() => Parse(bytes, length, firstLine, lines, start, slots, format, collector)));
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

    private static CoordinateBlock Parse(byte[] bytes, int length, long firstLine, int lines, int start, int slots, LineFormat f,
        CoordinateCollector collector)
    {
        var block = new CoordinateBlock { Lines = lines };
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
                if (slot == start + slots)
                {
                    // Only after the data has ended (no slots): the reader reports the blank line before it.
                    block.Error = new SpDnnDataException(f.File, "entry after the end of the data", lineNumber);
                    break;
                }
                if (ParseLine(line, lineNumber, f, ref memo, out int row, out int column, out float value) is { } error)
                {
                    block.Error = error;
                    break;
                }
                if (row == lastRow && column == lastColumn && slot > start)
                {
                    // Caught here rather than when the matrix is built: a file repeating one line stops at once.
                    block.Error = new SpDnnDataException(f.File, $"duplicate entry ({row + 1}, {column + 1})", lineNumber);
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
            if (block.Error is null && blankLine != 0)
            {
                block.TrailingBlankLine = blankLine;
                block.TrailingBlankLines = lineNumber - blankLine + 1;
            }
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
