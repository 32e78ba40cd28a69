using SpDnn.Distributed;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Distributed;

public sealed class ImageFileInputTests
{
    [Fact]
    public void BinaryImagesAreReadRowRangeByRowRange()
    {
        using var dir = new TempDirectory();
        var images = RandomNetworkGenerator.RandomImages(4, 23, 64, 0.2, 2f, binary: false);
        string bin = dir.File("images.bin");
        BinaryFileWriter.WriteImages(images, bin);
        var input = new ImageFileInput(bin, () => 64);
        Assert.True(input.ReadsOnlyItsSlice);
        Assert.Equal(23, input.KnownCount);
        foreach (var (start, count) in new[] { (0, 23), (0, 0), (5, 7), (22, 1), (23, 0) })
        {
            var slice = input.ReadRange(start, count);
            Assert.True(images.Features.SliceRows(start, count).ContentEquals(slice.Features), $"rows {start}+{count}");
            Assert.Equal(start + 1, slice.FirstImageNumber);
        }
        using var reader = new BinaryFileReader(bin);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows(0, 20, 4));
        Assert.Contains("wrong N", Assert.Throws<SpDnnDataException>(() => new ImageFileInput(bin, () => 32).ReadRange(0, 1)).Message);
    }

    [Fact]
    public void CorruptBinaryRowsAreReportedNotReturned()
    {
        using var dir = new TempDirectory();
        string bin = dir.File("images.bin");
        BinaryFileWriter.WriteImages(RandomNetworkGenerator.RandomImages(4, 10, 64, 0.2), bin);
        long columns;
        using (var reader = new BinaryFileReader(bin)) columns = reader.Section(0).Offset + BinaryFormat.SectionLayout(10, 0, 0).Columns;
        var bytes = File.ReadAllBytes(bin);
        bytes[columns + 8] ^= 0x40; // the third column index of the section
        File.WriteAllBytes(bin, bytes);
        var e = Assert.Throws<SpDnnDataException>(() => new ImageFileInput(bin, () => 64).ReadRange(2, 3));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void TextImagesAreReadWholeAndSliced()
    {
        using var dir = new TempDirectory();
        var images = RandomNetworkGenerator.RandomImages(4, 12, 64, 0.2);
        string tsv = dir.File("images.tsv");
        TsvImageWriter.Write(images, tsv);
        var input = new ImageFileInput(tsv, () => 64);
        Assert.False(input.ReadsOnlyItsSlice);
        Assert.Null(input.KnownCount);
        Assert.True(images.Features.SliceRows(4, 5).ContentEquals(input.ReadRange(4, 5).Features));
        Assert.Equal(5, input.ReadRange(4, 5).FirstImageNumber);
    }

    [Fact]
    public void ANetworkFileIsNotAnImageSet()
    {
        using var dir = new TempDirectory();
        string bin = dir.File("net.bin");
        NetworkWriter.Write(new RandomNetworkGenerator(1, new RandomNetworkOptions { Neurons = 32, Layers = 2 }), bin, StorageFormat.Binary);
        var input = new ImageFileInput(bin, () => 32);
        Assert.Contains("not images", Assert.Throws<SpDnnDataException>(() => input.KnownCount).Message);
    }
}
