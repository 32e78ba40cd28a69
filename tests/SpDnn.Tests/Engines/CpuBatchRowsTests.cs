using SpDnn.Engines.Cpu;
using SpDnn.Model;

namespace SpDnn.Tests.Engines;

public sealed class CpuBatchRowsTests
{
    [Fact]
    public void RowsOfSeveralMatricesAreFoundInPlaceEvenPastEmptyOnes()
    {
        // Three batches' survivors: two rows, none, three rows (the middle batch lost all its images).
        var a = new CsrMatrix(2, 8, [0, 2, 3], [1, 5, 7], [1f, 2f, 3f]);
        var none = new CsrMatrix(0, 8, [0], [], []);
        var b = new CsrMatrix(3, 8, [0, 0, 1, 4], [2, 0, 3, 6], [4f, 5f, 6f, 7f]);
        var rows = new BatchRows([a, none, b], [3, 9, 20, 21, 40]);

        Assert.Equal(5, rows.Count);
        Assert.Equal(8, rows.Width);
        Assert.Equal([new RowRef(0, 0, 2), new RowRef(0, 2, 1), new RowRef(2, 0, 0), new RowRef(2, 0, 1), new RowRef(2, 1, 3)],
            Enumerable.Range(0, 5).Select(rows.Row).ToArray());
        Assert.Equal(21, rows.ImageNumber(3));
        Assert.Equal(7, rows.Entries(0, 5));
        Assert.Equal(1, rows.Entries(1, 2));
        Assert.Equal(4, rows.Entries(3, 2));
        Assert.Throws<ArgumentException>(() => new BatchRows([a, b], [1, 2, 3]));
    }

    [Fact]
    public void ImagesAreTheirOwnRows()
    {
        var images = new ImageBatch(new CsrMatrix(2, 4, [0, 1, 3], [2, 0, 3], [1f, 1f, 1f]), "two images", firstImageNumber: 11);
        var rows = new BatchRows(images);
        Assert.Equal(new RowRef(0, 1, 2), rows.Row(1));
        Assert.Equal(12, rows.ImageNumber(1));
        Assert.Equal(3, rows.Entries(0, 2));
    }
}
