using SpDnn.Engines;

namespace SpDnn.Tests.Engines;

public sealed class CpuLiveSetTests
{
    [Fact]
    public void RemapDropsDeadImagesAndKeepsOrder()
    {
        var live = new LiveSet(6);
        Assert.Equal([0, 1, 2, 3, 4, 5], live.Images.ToArray());
        // Rows 1 and 4 die; rows 3 and 5 become copies of row 0.
        live.Remap([0, -1, 1, 0, -1, 0], 2);
        Assert.Equal([0, 2, 3, 5], live.Images.ToArray());
        Assert.Equal([0, 1, 0, 0], live.RowOf.ToArray());
        Assert.Equal(4, live.Count);
        Assert.Equal(2, live.DistinctRows);
        // Distinct row 1 (image 2) dies; images 0, 3, 5 share row 0.
        live.Remap([0, -1], 1);
        Assert.Equal([0, 3, 5], live.Images.ToArray());
        Assert.Equal([0, 0, 0], live.RowOf.ToArray());
        Assert.Throws<ArgumentException>(() => live.Remap([0, 0], 1));
    }

    [Fact]
    public void RowTableMergesOnlyRowsThatAreEqualEvenWhenEveryHashCollides()
    {
        // Rows: 0 = "a", 1 = "b", 2 = "a", 3 = "c", 4 = "b"; all with the same hash.
        string[] rows = ["a", "b", "a", "c", "b"];
        var equality = new TextRows(rows);
        var table = new LiveSetRowTable(rows.Length);
        var first = new int[rows.Length];
        var ids = new int[rows.Length];
        int next = 0;
        for (int round = 0; round < 2; round++)
        {
            table.Clear();
            next = 0;
            for (int r = 0; r < rows.Length; r++)
            {
                int id = table.FindOrAdd(42UL, r, next, first, ref equality);
                if (id == next) first[next++] = r;
                ids[r] = id;
            }
            Assert.Equal([0, 1, 0, 2, 1], ids);
            Assert.Equal(3, next);
        }
    }

    private readonly struct TextRows(string[] rows) : IRowEquality
    {
        public bool RowsEqual(int a, int b) => rows[a] == rows[b];
    }
}
