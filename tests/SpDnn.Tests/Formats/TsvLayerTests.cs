using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class TsvLayerTests
{
    [Fact]
    public void WriterReproducesTheOfficialBytesOfTheFirstSixLayers()
    {
        // Layers 1..6 of N=1024 need no permutation; their official md5 sums are known.
        var md5 = File.ReadAllLines(TestData.Official("neuron1024-layers.md5"))
            .Select(l => l.Split("  "))
            .ToDictionary(p => p[1], p => p[0]);
        for (int k = 1; k <= 6; k++)
        {
            var stream = new MemoryStream();
            TsvLayerWriter.Write(FormatTestData.OfficialBlockZeroLayer(k), stream);
            Assert.Equal(682_816, stream.Length);
            Assert.Equal(md5[$"n1024-l{k}.tsv"], Convert.ToHexStringLower(MD5.HashData(stream.ToArray())));
        }
    }

    [Fact]
    public void WriterUsesTheOfficialLineLayout()
    {
        var w = CsrMatrix.FromCoordinates(3, 3, [0, 2, 1], [1, 0, 1], [0.0625f, 1.5f, -2f]);
        var stream = new MemoryStream();
        TsvLayerWriter.Write(w, stream);
        // Column-major, ascending rows, 1-based, %e values.
        Assert.Equal("3\t1\t1.500000e+00\n1\t2\t6.250000e-02\n2\t2\t-2.000000e+00\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Theory]
    [InlineData("layer.tsv")]
    [InlineData("layer.tsv.gz")]
    public void RoundTrips(string name)
    {
        using var dir = new TempDirectory();
        var layer = FormatTestData.Network().GetLayer(2).Weights;
        var path = dir.File(name);
        TsvLayerWriter.Write(layer, path);
        Assert.Equal(name.EndsWith(".gz"), InputFile.IsGzip(path));
        Assert.True(layer.ContentEquals(TsvLayerReader.Read(path, layer.Rows)));
        Assert.Single(Directory.GetFiles(dir.Path)); // no temporary left
    }

    [Fact]
    public void GzipIsRecognisedByContentNotByName()
    {
        using var dir = new TempDirectory();
        var layer = FormatTestData.Network().GetLayer(0).Weights;
        var path = dir.File("compressed-but-named.tsv");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            TsvLayerWriter.Write(layer, gzip);
        Assert.True(layer.ContentEquals(TsvLayerReader.Read(path, layer.Rows)));
    }

    [Fact]
    public void AcceptsAnyOrderSpacesAndCrLf()
    {
        using var dir = new TempDirectory();
        var path = dir.File("l.tsv");
        File.WriteAllText(path, "2\t1\t0.5\r\n1 2  -1\r\n1\t1\t3e-1\n");
        var m = TsvLayerReader.Read(path, 2);
        Assert.Equal([0, 2, 3], m.RowOffsets);
        Assert.Equal([0, 1, 0], m.ColumnIndices);
        Assert.Equal([0.3f, -1f, 0.5f], m.Values);
    }

    [Theory]
    [InlineData("1\t1\t1\n2\t2\n", 2, "malformed line")]
    [InlineData("1\t1\t1\n2\tx\t1\n", 2, "malformed line")]
    [InlineData("1\t1\t1\n2\t2\t1\textra\n", 2, "unexpected text")]
    [InlineData("1\t1\t1\n5\t2\t1\n", 2, "row index 5 outside 1..4")]
    [InlineData("1\t1\t1\n2\t0\t1\n", 2, "column index 0 outside 1..4")]
    [InlineData("1\t1\t1\n2\t2\tNaN\n", 2, "not a finite number")]
    [InlineData("1\t1\t1\n2\t2\tinf\n", 2, "not a finite number")]
    [InlineData("1\t1\t1\n1\t2\t1\n1\t1\t2\n", 3, "duplicate entry (1, 1)")]
    [InlineData("1\t1\t1\n\n2\t2\t1\n", 2, "blank line")]
    public void BadLinesNameFileLineAndReason(string content, int line, string reason)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.tsv");
        File.WriteAllText(path, content);
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, 4));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith($"{path}:{line}: ", e.Message);
    }

    [Fact]
    public void EmptyFileIsAnError()
    {
        using var dir = new TempDirectory();
        var path = dir.File("empty.tsv");
        File.WriteAllText(path, "");
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, 4));
        Assert.Contains("empty file", e.Message);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void TruncatedGzipIsAnErrorWithByteOffset()
    {
        using var dir = new TempDirectory();
        var layer = FormatTestData.Network(neurons: 200).GetLayer(0).Weights;
        var full = dir.File("full.tsv.gz");
        TsvLayerWriter.Write(layer, full);
        var bytes = File.ReadAllBytes(full);
        var cut = dir.File("cut.tsv.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(cut, 200));
        Assert.Equal(cut, e.File);
        Assert.Contains("truncated gzip", e.Message);
        Assert.NotNull(e.ByteOffset);
        // Cut inside the trailer only: the data is whole but the recorded size is missing.
        var tail = dir.File("tail.tsv.gz");
        File.WriteAllBytes(tail, bytes[..^3]);
        Assert.Contains("truncated gzip", Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(tail, 200)).Message);
    }
}

public class TsvLargeFileTests
{
    /// <summary>A layer of several parse blocks (4 MiB each): order, duplicates and line numbers across blocks.</summary>
    [Fact]
    public void BlocksAreMergedInOrderWithExactLineNumbers()
    {
        using var dir = new TempDirectory();
        int n = 4096;
        var rng = new Random(5);
        var rows = new List<int>();
        var cols = new List<int>();
        for (int r = 0; r < n; r++)
            foreach (int c in Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(64).Order())
            {
                rows.Add(r);
                cols.Add(c);
            }
        var layer = CsrMatrix.FromCoordinates(n, n, rows.ToArray(), cols.ToArray(), rows.Select(r => (r % 7) * 0.25f - 0.5f).ToArray());
        var path = dir.File("big.tsv");
        TsvLayerWriter.Write(layer, path);
        Assert.True(new FileInfo(path).Length > 5 << 20); // at least two blocks
        Assert.True(layer.ContentEquals(TsvLayerReader.Read(path, n)));

        var lines = File.ReadAllLines(path);
        int late = lines.Length - 1000;
        var broken = (string[])lines.Clone();
        broken[late] = "1\t1\tbad";
        File.WriteAllLines(path, broken);
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, n));
        Assert.Equal(late + 1, e.Line);

        broken = (string[])lines.Clone();
        broken[late] = lines[10]; // a duplicate of an entry in the first block
        File.WriteAllLines(path, broken);
        e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, n));
        Assert.Equal(late + 1, e.Line);
        Assert.Contains("duplicate entry", e.Message);

        // Row-major order (as image files come) across blocks.
        var images = new ImageBatch(layer);
        var imagePath = dir.File("images.tsv");
        TsvImageWriter.Write(images, imagePath);
        FormatTestData.AssertSameImages(images, TsvImageReader.Read(imagePath, n));
    }
}
