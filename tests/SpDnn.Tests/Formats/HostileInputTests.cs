using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SpDnn.Formats;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>
/// Small files that declare huge sizes or expand enormously: each stops with one clear error
/// naming the file before anything of the declared size is allocated (the checks run before the
/// allocation, so a passing test never allocates it; a regression fails the assertion).
/// </summary>
public class HostileInputTests
{
    private const float Bias = -0.3f;

    [Theory]
    [InlineData(2147483647)]
    [InlineData(200_000_000)]
    public void AnImageNumberFarBeyondTheEntriesIsRefused(int number)
    {
        using var dir = new TempDirectory();
        var path = dir.File("sparse-images-64.tsv");
        File.WriteAllText(path, $"1\t5\t1\n{number}\t7\t1\n");
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 64));
        Assert.Equal(path, e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains($"image number {number}: {number} images but at most 2 entries", e.Message);
        // Within the allowance, empty images are fine.
        File.WriteAllText(path, $"1\t5\t1\n{SizeLimits.EmptyRowAllowance}\t7\t1\n");
        Assert.Equal(SizeLimits.EmptyRowAllowance, ImageLoader.Load(path, 64).Count);
    }

    [Theory]
    [InlineData("2147483647 64 1", "outside 1..2147483590")]
    [InlineData("2000000000 64 1", "the size line: 2000000000 rows but at most 1 entries")]
    public void AMatrixMarketSizeLineOutOfProportionIsRefused(string sizeLine, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("images.mtx");
        File.WriteAllText(path, $"%%MatrixMarket matrix coordinate pattern general\n{sizeLine}\n1 1\n");
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 64));
        Assert.Equal(2, e.Line);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ACategoriesVectorOfHugeDeclaredLengthCostsOnlyItsEntries()
    {
        using var dir = new TempDirectory();
        var path = dir.File("truth.mtx");
        File.WriteAllText(path, "%%MatrixMarket matrix coordinate pattern general\n268435456 1 2\n7 1\n268435456 1\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal([7, 268435456], CategoriesFile.Read(path));
        // A matrix of that many rows would take 1 GiB of row offsets.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 20);
        File.WriteAllText(path, "%%MatrixMarket matrix coordinate pattern general\n2147483647 1 1\n1 1\n");
        Assert.Contains("outside 1..2147483590", Assert.Throws<SpDnnDataException>(() => CategoriesFile.Read(path)).Message);
    }

    [Fact]
    public void ALayerFileNamedForAHugeNIsRefusedBeforeItsBias()
    {
        using var dir = new TempDirectory();
        var folder = dir.File("net");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "n2000000000-l1.tsv"), "1\t1\t6.250000e-02\n");
        var e = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(folder, bias: Bias));
        Assert.EndsWith("n2000000000-l1.tsv", e.File);
        Assert.Contains("N=2000000000 from the file name: 2000000000 neurons but at most 4 entries", e.Message);
    }

    [Fact]
    public void ATarEntryNamedForAHugeNIsRefusedBeforeItsBias()
    {
        using var dir = new TempDirectory();
        var path = dir.File("neuron2000000000.tar.gz");
        WriteTarGz(path, ("neuron2000000000/n2000000000-l1.tsv", Encoding.ASCII.GetBytes("1\t1\t6.250000e-02\n")));
        var e = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path, bias: Bias));
        Assert.Contains("n2000000000-l1.tsv", e.File);
        Assert.Contains("2000000000 neurons but at most 4 entries", e.Message);
    }

    [Fact]
    public void ALayerWhoseEntriesLeaveMostRowsEmptyIsRefused()
    {
        using var dir = new TempDirectory();
        // N = 2,000,000 is in proportion to the file's 4 MB, but its 330,000 entries all lie in one row.
        var path = dir.File("n2000000-l1.tsv");
        var text = new StringBuilder();
        for (int c = 1; text.Length < 4_000_000; c++) text.Append("1\t").Append(c).Append("\t0.5\n");
        File.WriteAllText(path, text.ToString());
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, 2_000_000));
        Assert.Contains("N=2000000: 2000000 neurons but at most", e.Message);
        Assert.Contains("neurons would be empty", e.Message);
    }

    [Fact]
    public void GzipOfZerosStopsAtTheFirstOverlongLine()
    {
        using var dir = new TempDirectory();
        var path = dir.File("sparse-images-64.tsv.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            for (int i = 0; i < 64; i++) gzip.Write(new byte[1 << 20]);
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 64));
        Assert.Equal(path, e.File);
        Assert.Contains($"line longer than {LineReader.MaxLineBytes} bytes", e.Message);
    }

    [Fact]
    public void GzipOfNewlinesStopsSoonAfterTheData()
    {
        using var dir = new TempDirectory();
        var path = dir.File("sparse-images-64.tsv.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gzip.Write("1\t1\t1\n"u8);
            var newlines = new byte[1 << 20];
            newlines.AsSpan().Fill((byte)'\n');
            for (int i = 0; i < 16; i++) gzip.Write(newlines);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path, 64));
        Assert.Equal(2, e.Line);
        Assert.Contains($"more than {CoordinateText.MaxTrailingBlankLines} blank lines after the data", e.Message);
        // No entry slots for the blank lines (a slot per line would be 12 bytes each, 200 MB here).
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 48 << 20);
    }

    [Fact]
    public void ARepeatedLineStopsAtItsFirstRepetition()
    {
        using var dir = new TempDirectory();
        var path = dir.File("n64-l1.tsv");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("3\t4\t0.5\n", 100_000)));
        var e = Assert.Throws<SpDnnDataException>(() => TsvLayerReader.Read(path, 64));
        Assert.Equal(2, e.Line);
        Assert.Contains("duplicate entry (3, 4)", e.Message);
    }

    [Fact]
    public void ATarGzLayerEntryOfZerosIsParsedAsItStreamsAndStops()
    {
        using var dir = new TempDirectory();
        var path = dir.File("neuron64.tar.gz");
        var layer = new MemoryStream();
        TsvLayerWriter.Write(FormatTestData.Network(neurons: 64, layers: 1).GetLayer(0).Weights, layer);
        // Layer 2: 256 MiB of zeros, a quarter of a megabyte compressed.
        WriteTarGz(path, ("neuron64/n64-l1.tsv", layer.ToArray()), ("neuron64/n64-l2.tsv", null));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SpDnnDataException>(() =>
        {
            using var source = NetworkLoader.Open(path, bias: Bias) as IDisposable;
        });
        Assert.Contains("n64-l2.tsv", e.File);
        Assert.Contains("line longer than", e.Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 << 20);
    }

    [Fact]
    public void ALayerThatIsALinkInsideTheArchiveIsAnErrorUnlessFewerLayersAreAsked()
    {
        using var dir = new TempDirectory();
        var path = dir.File("neuron48.tar.gz");
        var network = FormatTestData.Network(layers: 4);
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            for (int k = 1; k <= 4; k++)
            {
                if (k == 3)
                {
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "neuron48/n48-l3.tsv") { LinkName = "n48-l2.tsv" });
                    continue;
                }
                var content = new MemoryStream();
                TsvLayerWriter.Write(network.GetLayer(k - 1).Weights, content);
                content.Position = 0;
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"neuron48/n48-l{k}.tsv") { DataStream = content });
            }
        }
        var e = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path, bias: Bias));
        Assert.Contains("n48-l3.tsv", e.File);
        Assert.Contains("is a symbolic link, not a regular file", e.Message);
        using var two = (TarNetworkSource)NetworkLoader.Open(path, layers: 2, bias: Bias);
        Assert.True(network.GetLayer(1).Weights.ContentEquals(two.GetLayer(1).Weights));
    }

    [Fact]
    public void BinaryImagesNumberedPastTheLargestImageNumberAreRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("images.bin");
        BinaryFileWriter.WriteImages(FormatTestData.Images(count: 100), path);
        var bytes = File.ReadAllBytes(path);
        var header = BinaryHeader.ReadFrom(bytes, path) with { FirstImageNumber = 2147483600 };
        header.WriteTo(bytes); // checksum recomputed: only the numbering is wrong
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(path));
        Assert.Equal(28, e.ByteOffset);
        Assert.Contains("images numbered from 2147483600: 100 images would pass 2147483647", e.Message);
    }

    /// <summary>A tar.gz of the given entries; null content is 256 MiB of zeros, written without holding it.</summary>
    private static void WriteTarGz(string path, params (string Name, byte[]? Content)[] entries)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = content is null ? new ZeroStream(256 << 20) : new MemoryStream(content),
            });
    }

    /// <summary>A stream of zeros of a given length.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
