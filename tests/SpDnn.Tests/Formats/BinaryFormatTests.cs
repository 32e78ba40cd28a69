using SpDnn.Formats;
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
