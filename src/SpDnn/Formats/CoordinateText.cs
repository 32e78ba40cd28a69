namespace SpDnn.Formats;

/// <summary>
/// The shared loop of the coordinate text formats (TSV layers and images, Matrix Market
/// entries): each line holds a 1-based row, a 1-based column and, unless the data is a pattern,
/// a value. Checks every line and reports the first problem with its line number.
/// </summary>
internal static class CoordinateText
{
    /// <param name="rowLimit">Largest valid row (1-based), or 0 when unknown.</param>
    /// <param name="columnLimit">Largest valid column (1-based), or 0 when unknown.</param>
    /// <param name="entryLimit">Stop with an error past this many entries (a Matrix Market header's count), or −1.</param>
    /// <param name="mirror">Also add (column, row) for off-diagonal entries (Matrix Market symmetric).</param>
    /// <returns>Entries read (not counting mirrors).</returns>
    public static long Read(LineReader reader, CoordinateCollector collector, int rowLimit, int columnLimit, bool pattern,
        string layout, long entryLimit = -1, bool mirror = false)
    {
        long entries = 0;
        long blankLine = 0;
        while (reader.TryReadLine(out var line))
        {
            if (line.IsEmpty || TextFields.AtEnd(line, 0))
            {
                if (blankLine == 0) blankLine = reader.LineNumber;
                continue;
            }
            if (blankLine != 0) throw new SpDnnDataException(reader.FileName, "blank line inside the data", blankLine);
            int p = 0;
            if (!TextFields.TryParseIndex(line, ref p, out long row) || !TextFields.TryParseIndex(line, ref p, out long column))
                throw reader.Error($"malformed line, expected {layout}: \"{Preview(line)}\"");
            float value = 1f;
            if (!pattern && !TextFields.TryParseReal(line, ref p, out value))
                throw reader.Error($"malformed line, expected {layout}: \"{Preview(line)}\"");
            if (!TextFields.AtEnd(line, p))
                throw reader.Error($"malformed line, unexpected text after {layout}: \"{Preview(line)}\"");
            if (row < 1 || (rowLimit > 0 && row > rowLimit) || row > int.MaxValue)
                throw reader.Error($"row index {row} outside 1..{(rowLimit > 0 ? rowLimit : int.MaxValue)}");
            if (column < 1 || (columnLimit > 0 && column > columnLimit) || column > int.MaxValue)
                throw reader.Error($"column index {column} outside 1..{(columnLimit > 0 ? columnLimit : int.MaxValue)}");
            if (!float.IsFinite(value))
                throw reader.Error($"value {Preview(line[(line.LastIndexOfAny((byte)'\t', (byte)' ') + 1)..])} is not a finite number");
            if (entryLimit >= 0 && entries >= entryLimit)
                throw reader.Error($"more entries than the {entryLimit} the header announces");
            entries++;
            collector.Add((int)row - 1, (int)column - 1, value, reader.LineNumber);
            if (mirror && row != column) collector.Add((int)column - 1, (int)row - 1, value, reader.LineNumber);
        }
        return entries;
    }

    public static string Preview(ReadOnlySpan<byte> line)
    {
        var text = System.Text.Encoding.UTF8.GetString(line.Length > 60 ? line[..60] : line).Replace("\t", "\\t");
        return line.Length > 60 ? text + "..." : text;
    }
}
