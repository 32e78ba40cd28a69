namespace SpDnn.Formats;

/// <summary>
/// Categories (truth) files: the 1-based numbers of the images that survive, ascending. Read
/// from the official TSV layout (one number per line; an empty file means no survivor) or from
/// Matrix Market (an M x 1 or 1 x M coordinate vector whose stored entries are the survivors).
/// </summary>
public static class CategoriesFile
{
    /// <summary>Reads categories in any format of <see cref="DataFormats"/> that holds them, judged by content.</summary>
    public static int[] Read(string path)
    {
        var format = DataFormats.Detect(path);
        return format.ReadCategories is { } read
            ? read(path)
            : throw new SpDnnDataException(path, $"holds {format.Name} data ({format.Expresses}), expected categories (one image number per line)");
    }

    /// <summary>Reads the official text layout from a stream (already decompressed): one ascending 1-based image number per line; <paramref name="name"/> is what errors call the source.</summary>
    public static int[] ReadText(Stream stream, string name)
    {
        var reader = new LineReader(stream, name, 1 << 16);
        var result = new List<int>();
        long blankLine = 0;
        while (reader.TryReadLine(out var line))
        {
            if (TextFields.AtEnd(line, 0))
            {
                if (blankLine == 0) blankLine = reader.LineNumber;
                continue;
            }
            if (blankLine != 0) throw new SpDnnDataException(name, "blank line inside the data", blankLine);
            int p = 0;
            if (!TextFields.TryParseIndex(line, ref p, out long index) || !TextFields.AtEnd(line, p))
                throw reader.Error($"malformed line, expected one image number: \"{CoordinateText.Preview(line)}\"");
            if (index < 1 || index > int.MaxValue)
                throw reader.Error($"image number {index} outside 1..{int.MaxValue}");
            if (result.Count > 0 && index <= result[^1])
                throw reader.Error(index == result[^1] ? $"duplicate image number {index}" : $"image number {index} is not ascending (after {result[^1]})");
            result.Add((int)index);
        }
        return [.. result];
    }

    /// <summary>Writes the official layout (one number per line) atomically; gzip when the name ends in .gz.</summary>
    public static void Write(string path, IReadOnlyList<int> categories) =>
        AtomicFile.Write(path, stream => Compression.WriteMaybeCompressed(stream, path, s => Write(s, categories)));

    /// <summary>Writes the official text layout to a stream; throws when <paramref name="categories"/> is not strictly ascending, so no invalid truth file is made.</summary>
    public static void Write(Stream stream, IReadOnlyList<int> categories)
    {
        for (int i = 1; i < categories.Count; i++)
            if (categories[i] <= categories[i - 1]) throw new ArgumentException("Categories must be strictly ascending.", nameof(categories));
        using var writer = new Utf8TextWriter(stream, 1 << 16);
        foreach (int c in categories)
        {
            writer.Write(c);
            writer.Write((byte)'\n');
        }
    }
}
