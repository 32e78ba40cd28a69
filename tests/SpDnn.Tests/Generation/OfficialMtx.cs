using SpDnn.Model;

namespace SpDnn.Tests.Generation;

/// <summary>
/// A minimal reader for the official coordinate-pattern .mtx test files (1-based "row col" lines),
/// kept local so these tests do not depend on the formats code they are not about.
/// </summary>
internal sealed record OfficialMtx(int Rows, int Columns, List<int>[] Entries)
{
    public static OfficialMtx Read(string path)
    {
        using var reader = new StreamReader(path);
        string? line;
        do line = reader.ReadLine(); while (line is not null && line.StartsWith('%'));
        var size = line!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var entries = Enumerable.Range(0, size[0]).Select(_ => new List<int>()).ToArray();
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            entries[int.Parse(parts[0]) - 1].Add(int.Parse(parts[1]) - 1);
        }
        Assert.Equal(size[2], entries.Sum(e => e.Count));
        foreach (var e in entries) e.Sort();
        return new OfficialMtx(size[0], size[1], entries);
    }

    public ImageBatch ToBatch()
    {
        var offsets = new int[Rows + 1];
        for (int r = 0; r < Rows; r++) offsets[r + 1] = offsets[r] + Entries[r].Count;
        var columns = Entries.SelectMany(e => e).ToArray();
        var values = Enumerable.Repeat(1f, columns.Length).ToArray();
        return new ImageBatch(new CsrMatrix(Rows, Columns, offsets, columns, values), "official subset");
    }
}
