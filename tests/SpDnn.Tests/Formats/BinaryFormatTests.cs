using System.Buffers.Binary;
using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class BinaryFormatTests
{
    [Fact]
    public void NetworkRoundTripsWithBiasesAndRandomAccess()
    {
        using var dir = new TempDirectory();
        var network = FormatTestData.Network(layers: 6);
        var path = dir.File("net.bin");
        BinaryFileWriter.WriteNetwork(network, path);
        using (var source = new BinaryNetworkSource(path))
        {
            FormatTestData.AssertSameNetwork(network, source);
            // Any order, from several threads.
            Parallel.For(0, 24, i =>
            {
                int k = (i * 7) % 6;
                Assert.True(network.GetLayer(k).Weights.ContentEquals(source.GetLayer(k).Weights));
            });
        }
        using (var firstThree = (BinaryNetworkSource)NetworkLoader.Open(path, layers: 3, bias: -0.25f))
        {
            Assert.Equal(3, firstThree.LayerCount);
            Assert.All(firstThree.GetLayer(2).Bias, b => Assert.Equal(-0.25f, b));
        }
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ImagesRoundTrip()
    {
        using var dir = new TempDirectory();
        var images = FormatTestData.Images().Slice(5, 10);
        var path = dir.File("images.bin");
        BinaryFileWriter.WriteImages(images, path);
        var back = ImageLoader.Load(path);
        FormatTestData.AssertSameImages(images, back);
        Assert.Equal(6, back.FirstImageNumber);
    }

    [Fact]
    public void ALargeSectionReadOnAllCoresEqualsTheSequentialReadAndReportsTheSameFirstBadRow()
    {
        // 10000 images (three ranges of rows validated in parallel), a few pixels each.
        using var dir = new TempDirectory();
        var random = new Random(5);
        var rows = Enumerable.Range(0, 10000).Select(_ => Enumerable.Range(0, 64).Where(_ => random.Next(8) == 0).ToArray()).ToArray();
        var offsets = new int[rows.Length + 1];
        for (int r = 0; r < rows.Length; r++) offsets[r + 1] = offsets[r] + rows[r].Length;
        var columns = rows.SelectMany(r => r).ToArray();
        var images = new ImageBatch(new CsrMatrix(rows.Length, 64, offsets, columns, [.. columns.Select(_ => 1f)]));
        var path = dir.File("images.bin");
        BinaryFileWriter.WriteImages(images, path);
        using (var file = new BinaryFileReader(path))
        {
            var (sequential, _) = file.ReadSection(0);
            var (parallel, _) = file.ReadSection(0, parallel: true);
            Assert.True(sequential.ContentEquals(images.Features));
            Assert.True(parallel.ContentEquals(images.Features));
        }

        // The first column of rows 5001 and 9001 made 64 (outside 0..63; in the second and third
        // range of rows), the checksums written to match: only the structure check finds them, and
        // every read must name the first.
        int row = 5000;
        Assert.NotEmpty(rows[row]);
        Assert.NotEmpty(rows[9000]);
        var bytes = File.ReadAllBytes(path);
        BinarySection section;
        long indexOffset;
        using (var file = new BinaryFileReader(path))
        {
            section = file.Section(0);
            indexOffset = file.Header.IndexOffset;
        }
        var layout = BinaryFormat.SectionLayout(section.Rows, section.NonZeros, 0);
        foreach (int bad in new[] { 9000, row })
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)(section.Offset + layout.Columns + 4L * offsets[bad])), 64);
        var repaired = section with { Checksum = BinaryFormat.Checksum(bytes.AsSpan((int)section.Offset, (int)section.Length)) };
        repaired.WriteTo(bytes.AsSpan((int)indexOffset));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)indexOffset + BinaryFormat.IndexEntrySize),
            BinaryFormat.Checksum(bytes.AsSpan((int)indexOffset, BinaryFormat.IndexEntrySize)));
        File.WriteAllBytes(path, bytes);
        using (var file = new BinaryFileReader(path))
        {
            var one = Assert.Throws<SpDnnDataException>(() => file.ReadSection(0));
            var all = Assert.Throws<SpDnnDataException>(() => file.ReadSection(0, parallel: true));
            Assert.Contains($"column 64 in row {row + 1} is out of order", one.Message);
            Assert.Equal(one.Message, all.Message);
            // A slice holding the row (an MPI rank's share) names the same row and byte.
            var slice = Assert.Throws<SpDnnDataException>(() => file.ReadRows(0, 4000, 2000));
            Assert.Equal(one.Message, slice.Message);
        }
    }

    [Fact]
    public void SectionsAreAlignedAndTheHeaderIsAsDocumented()
    {
        using var dir = new TempDirectory();
        var path = dir.File("net.bin");
        BinaryFileWriter.WriteNetwork(FormatTestData.Network(layers: 3), path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("SPDNNBIN"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 8));
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 12));
        Assert.Equal(48, BitConverter.ToInt32(bytes, 16));
        Assert.Equal(3, BitConverter.ToInt32(bytes, 24));
        Assert.Equal(bytes.Length, BitConverter.ToInt64(bytes, 40));
        using var file = new BinaryFileReader(path);
        for (int i = 0; i < 3; i++) Assert.Equal(0, file.Section(i).Offset % 64);
    }

    [Fact]
    public void TruncatedFileIsAnErrorWithByteOffset()
    {
        using var dir = new TempDirectory();
        var path = dir.File("net.bin");
        BinaryFileWriter.WriteNetwork(FormatTestData.Network(), path);
        var bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { bytes.Length - 1, bytes.Length / 2, 40 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var e = Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path));
            Assert.Equal(path, e.File);
            Assert.Contains("truncated", e.Message);
            Assert.Equal(keep, e.ByteOffset);
            Assert.Contains($"(byte {keep})", e.Message);
        }
        File.WriteAllBytes(path, []);
        Assert.Contains("empty file", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path)).Message);
    }

    [Fact]
    public void CorruptBytesAreCaughtByTheChecksums()
    {
        using var dir = new TempDirectory();
        var path = dir.File("net.bin");
        BinaryFileWriter.WriteNetwork(FormatTestData.Network(), path);
        var good = File.ReadAllBytes(path);
        long sectionOffset;
        using (var file = new BinaryFileReader(path)) sectionOffset = file.Section(2).Offset;

        var bad = (byte[])good.Clone();
        bad[sectionOffset + 100] ^= 0x10;
        File.WriteAllBytes(path, bad);
        using (var source = new BinaryNetworkSource(path))
        {
            source.GetLayer(1); // untouched layers still load
            var e = Assert.Throws<SpDnnDataException>(() => source.GetLayer(2));
            Assert.Equal(sectionOffset, e.ByteOffset);
            Assert.Contains("corrupt section 3", e.Message);
        }

        bad = (byte[])good.Clone();
        bad[20] ^= 1; // header
        File.WriteAllBytes(path, bad);
        Assert.Equal(0, Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path)).ByteOffset);

        bad = (byte[])good.Clone();
        bad[^20] ^= 1; // index
        File.WriteAllBytes(path, bad);
        Assert.Contains("corrupt index", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(path)).Message);
    }

    [Fact]
    public void KindsAreChecked()
    {
        using var dir = new TempDirectory();
        var images = dir.File("images.bin");
        BinaryFileWriter.WriteImages(FormatTestData.Images(), images);
        Assert.Contains("not a network", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(images)).Message);
        var network = dir.File("net.bin");
        BinaryFileWriter.WriteNetwork(FormatTestData.Network(), network);
        Assert.Contains("not images", Assert.Throws<SpDnnDataException>(() => ImageLoader.Load(network)).Message);
        Assert.Contains("the file holds 5", Assert.Throws<SpDnnDataException>(() => NetworkLoader.Open(network, layers: 9)).Message);
    }
}
