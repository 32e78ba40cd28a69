using System.Text;
using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class TsvImageTests
{
    [Theory]
    [InlineData("sparse-images-48.tsv")]
    [InlineData("sparse-images-48.tsv.gz")]
    public void RoundTripsWithValues(string name)
    {
        using var dir = new TempDirectory();
        var images = FormatTestData.Images();
        var path = dir.File(name);
        TsvImageWriter.Write(images, path);
        FormatTestData.AssertSameImages(images, TsvImageReader.Read(path));
        FormatTestData.AssertSameImages(images, ImageLoader.Load(path, 48));
    }

    [Fact]
    public void WritesTheOfficialLayoutAndParsesValuesAsNumbers()
    {
        var m = CsrMatrix.FromCoordinates(2, 4, [0, 0, 1], [3, 0, 2], [1f, 1f, 0.5f]);
        var stream = new MemoryStream();
        TsvImageWriter.Write(new ImageBatch(m), stream);
        Assert.Equal("1\t1\t1\n1\t4\t1\n2\t3\t0.5\n", Encoding.UTF8.GetString(stream.ToArray()));
        stream.Position = 0;
        var back = TsvImageReader.Read(stream, "x", 4);
        Assert.Equal([1f, 1f, 0.5f], back.Features.Values);
    }

    [Fact]
    public void NeuronsComeFromTheOfficialNameOrTheLargestPixel()
    {
        using var dir = new TempDirectory();
        var named = dir.File("sparse-images-16.tsv");
        File.WriteAllText(named, "1\t3\t1\n2\t5\t1\n");
        Assert.Equal(16, ImageLoader.Load(named).Neurons);
        var plain = dir.File("imgs.tsv");
        File.WriteAllText(plain, "1\t3\t1\n3\t5\t1\n");
        var images = ImageLoader.Load(plain);
        Assert.Equal(5, images.Neurons);
        Assert.Equal(3, images.Count);
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(plain, 4));
        Assert.Equal(2, e.Line);
        Assert.Contains("column index 5 outside 1..4", e.Message);
    }

    [Fact]
    public void BadValueAndEmptyFileAreErrors()
    {
        using var dir = new TempDirectory();
        var path = dir.File("imgs.tsv");
        File.WriteAllText(path, "1\t1\t1\n1\t2\t-inf\n");
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 4));
        Assert.Equal(2, e.Line);
        Assert.Contains("not a finite number", e.Message);
        File.WriteAllText(path, "");
        Assert.Contains("empty file", Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 4)).Message);
    }
}
