using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class MatrixMarketTests
{
    [Theory]
    [InlineData("m.mtx")]
    [InlineData("m.mtx.gz")]
    public void GeneralRealRoundTrips(string name)
    {
        using var dir = new TempDirectory();
        var layer = FormatTestData.Network().GetLayer(1).Weights;
        var path = dir.File(name);
        MatrixMarketWriter.Write(layer, path, comment: "test");
        var (back, header) = MatrixMarketReader.Read(path);
        Assert.Equal(MatrixMarketField.Real, header.Field);
        Assert.False(header.Symmetric);
        Assert.True(layer.ContentEquals(back));
    }

    [Fact]
    public void SymmetricStoresOneTriangleAndReadsBothBack()
    {
        using var dir = new TempDirectory();
        var a = FormatTestData.Network().GetLayer(0).Weights;
        // A + Aᵀ with distinct values is symmetric and has off-diagonal entries on both sides.
        var rows = new List<int>();
        var cols = new List<int>();
        var vals = new List<float>();
        var seen = new HashSet<(int, int)>();
        for (int r = 0; r < a.Rows; r++)
            foreach (int c in a.RowIndices(r))
                if (seen.Add((Math.Max(r, c), Math.Min(r, c))))
                {
                    float v = (r + 1) * 0.5f + c;
                    rows.Add(r); cols.Add(c); vals.Add(v);
                    if (r != c) { rows.Add(c); cols.Add(r); vals.Add(v); }
                }
        var symmetric = CsrMatrix.FromCoordinates(a.Rows, a.Columns, rows.ToArray(), cols.ToArray(), vals.ToArray());
        var path = dir.File("sym.mtx");
        MatrixMarketWriter.Write(symmetric, path, symmetric: true);
        var (back, header) = MatrixMarketReader.Read(path);
        Assert.True(header.Symmetric);
        Assert.True(header.Entries < symmetric.NonZeros);
        Assert.True(symmetric.ContentEquals(back));
        Assert.True(symmetric.ContentEquals(MatrixMarketReader.ReadLayer(path, a.Rows)));
    }

    [Fact]
    public void PatternAndIntegerRoundTrip()
    {
        using var dir = new TempDirectory();
        var ones = CsrMatrix.FromCoordinates(3, 5, [0, 2, 2], [4, 0, 1], [1f, 1f, 1f]);
        var path = dir.File("p.mtx");
        MatrixMarketWriter.Write(ones, path, MatrixMarketField.Pattern);
        Assert.StartsWith("%%MatrixMarket matrix coordinate pattern general\n", File.ReadAllText(path));
        Assert.True(ones.ContentEquals(MatrixMarketReader.Read(path).Matrix));
        var ints = CsrMatrix.FromCoordinates(3, 5, [0, 2, 2], [4, 0, 1], [7f, -2f, 1f]);
        MatrixMarketWriter.Write(ints, path, MatrixMarketField.Integer);
        Assert.True(ints.ContentEquals(MatrixMarketReader.Read(path).Matrix));
        Assert.Throws<ArgumentException>(() => MatrixMarketWriter.Write(ints, dir.File("bad.mtx"), MatrixMarketField.Pattern));
        Assert.False(File.Exists(dir.File("bad.mtx")));
    }

    [Fact]
    public void ImagesRoundTripThroughTheLoader()
    {
        using var dir = new TempDirectory();
        var images = FormatTestData.Images();
        var path = dir.File("images.mtx");
        ImageWriter.Write(images, path, StorageFormat.Mtx);
        FormatTestData.AssertSameImages(images, ImageLoader.Load(path, images.Neurons));
    }

    [Fact]
    public void CategoriesRoundTripAsAColumnVector()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cats.mtx");
        MatrixMarketWriter.WriteCategories(path, [2, 9, 10], 12);
        Assert.Equal([2, 9, 10], CategoriesFile.Read(path));
        Assert.Contains("12 1 3", File.ReadAllText(path));
    }

    [Fact]
    public void ReadsTheOfficialImageSubset()
    {
        var images = ImageLoader.Load(TestData.Official("sparse-images-1024_subset.mtx"), 1024);
        Assert.Equal(1200, images.Count);
        Assert.Equal(1024, images.Neurons);
        Assert.Equal(122_713, images.Features.NonZeros);
        Assert.All(images.Features.Values, v => Assert.Equal(1f, v));
        Assert.Equal(1, images.FirstImageNumber);
    }

    [Theory]
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 2\n", 4, "ends after 2")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 1\n2 2 2\n", 4, "more entries than the 1")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n4 2 2\n", 4, "row index 4 outside 1..3")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n2 2\n", 4, "malformed line")]
    [InlineData("%%MatrixMarket matrix coordinate complex general\n3 3 1\n1 1 1 0\n", 1, "unsupported Matrix Market field")]
    [InlineData("%%MatrixMarket matrix array real general\n3 3\n", 1, "only \"matrix coordinate\"")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n% c\n3 x 2\n", 3, "malformed size line")]
    [InlineData("%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n1 2\n", 4, "duplicate entry")]
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 nan\n", 3, "not a finite number")]
    public void BadFilesNameFileLineAndReason(string content, int line, string reason)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.mtx");
        File.WriteAllText(path, content);
        var e = Assert.Throws<SpDnnDataException>(() => MatrixMarketReader.Read(path));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void ALayerOfTheWrongSizeIsAnError()
    {
        using var dir = new TempDirectory();
        var path = dir.File("n8-l1.mtx");
        File.WriteAllText(path, "%%MatrixMarket matrix coordinate real general\n4 4 1\n1 1 1\n");
        var e = Assert.Throws<SpDnnDataException>(() => LayerFile.Read(path, 8));
        Assert.Contains("wrong N", e.Message);
        Assert.Equal(1, e.Line);
    }
}
