using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using SpDnn.Formats;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>Gzip files of one or many members (bgzip, concatenation), checked member by member.</summary>
public class GzipMemberTests
{
    /// <summary>An image file of about <paramref name="bytes"/> bytes (one random pixel per image), varied enough that deflate output has no regular structure.</summary>
    private static byte[] Text(int bytes, int seed = 5)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int image = 1; text.Length < bytes; image++) text.Append(image).Append('\t').Append(random.Next(1, 1025)).Append("\t1\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        // GZipStream writes nothing at all for no data; gzip writes an empty member.
        if (data.IsEmpty) return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>One BGZF block as bgzip writes it: FEXTRA with the 'BC' subfield holding the block size.</summary>
    private static byte[] BgzfBlock(ReadOnlySpan<byte> data)
    {
        var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true)) deflate.Write(data);
        // An empty final block for no data, as in bgzip's end-of-file block (DeflateStream writes nothing).
        var body = data.IsEmpty ? [3, 0] : deflated.ToArray();
        var block = new byte[18 + body.Length + 8];
        byte[] header = [0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, (byte)'B', (byte)'C', 2, 0];
        header.CopyTo(block, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(16), (ushort)(block.Length - 1));
        body.CopyTo(block, 18);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(18 + body.Length), Crc32.HashToUInt32(data));
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(22 + body.Length), (uint)data.Length);
        return block;
    }

    private static byte[] ReadAll(string path)
    {
        using var stream = new CheckedGzipStream(path);
        var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void ConcatenatedMembersAreReadWhole()
    {
        using var dir = new TempDirectory();
        var data = Text(900_000);
        // Uneven cuts, an empty member among them: every member boundary lands somewhere else in the read-ahead.
        int[] cuts = [0, 1, 70_001, 70_001, 333_333, 600_000, data.Length];
        var file = new MemoryStream();
        for (int i = 0; i + 1 < cuts.Length; i++) file.Write(Gzip(data.AsSpan(cuts[i], cuts[i + 1] - cuts[i])));
        var path = dir.File("parts.tsv.gz");
        File.WriteAllBytes(path, file.ToArray());
        Assert.Equal(data, ReadAll(path));
        using var stream = new CheckedGzipStream(path);
        stream.CopyTo(Stream.Null);
        Assert.Equal(cuts.Length - 1, stream.Members);
    }

    [Fact]
    public void BgzipBlocksWithTheirEndOfFileMarkerAreRead()
    {
        using var dir = new TempDirectory();
        var data = Text(300_000, seed: 9);
        var file = new MemoryStream();
        for (int start = 0; start < data.Length; start += 65280) file.Write(BgzfBlock(data.AsSpan(start, Math.Min(65280, data.Length - start))));
        file.Write(BgzfBlock([])); // bgzip's end-of-file block
        var path = dir.File("sparse-images-1024.tsv.gz");
        File.WriteAllBytes(path, file.ToArray());
        Assert.Equal(data, ReadAll(path));
        // Through the image reader, as a user's bgzip file would be.
        Assert.True(ImageLoader.Load(path).Features.NonZeros > 0);
    }

    [Fact]
    public void ACutInsideAnyMemberIsTruncation()
    {
        using var dir = new TempDirectory();
        var first = Gzip(Text(200_000, seed: 1));
        var second = Gzip(Text(200_000, seed: 2));
        var whole = first.Concat(second).ToArray();
        var path = dir.File("cut.gz");
        // (A cut exactly between members leaves a valid file of fewer members: nothing can tell.)
        foreach (int length in new[] { first.Length - 4, first.Length + 5, first.Length + second.Length / 2, whole.Length - 1 })
        {
            File.WriteAllBytes(path, whole[..length]);
            var e = Assert.Throws<SpDnnDataException>(() => ReadAll(path));
            Assert.Contains("truncated gzip data", e.Message);
            Assert.Equal(path, e.File);
        }
    }

    [Fact]
    public void AWrongChecksumOrTrailingBytesAreCorruption()
    {
        using var dir = new TempDirectory();
        var first = Gzip(Text(100_000, seed: 3));
        var second = Gzip(Text(50_000, seed: 4));
        var path = dir.File("bad.gz");

        var flipped = first.Concat(second).ToArray();
        flipped[first.Length - 8] ^= 1; // first member's CRC-32
        File.WriteAllBytes(path, flipped);
        Assert.Contains("corrupt gzip data: member 1", Assert.Throws<SpDnnDataException>(() => ReadAll(path)).Message);

        File.WriteAllBytes(path, [.. first, .. "garbage"u8]);
        Assert.Contains("unexpected bytes after gzip member 1", Assert.Throws<SpDnnDataException>(() => ReadAll(path)).Message);
    }
}
