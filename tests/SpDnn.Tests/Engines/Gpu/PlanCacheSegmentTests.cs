using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using SpDnn.Engines.Gpu;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Plan cache arrays are checked segment by segment (<see cref="PlanCacheFormat.SegmentBytes"/>),
/// in parallel: the checksum still covers every byte and the segments' order, and a reader finds
/// damage in any segment of an array of several, and a file cut short after it was opened.
/// </summary>
public sealed class PlanCacheSegmentTests
{
    private const int Segment = PlanCacheFormat.SegmentBytes;

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData(5 * Segment / 2)]
    public void AnArraysChecksumIsTheHashOfItsSegmentsHashes(int length)
    {
        var data = RandomBytes(length, length);
        int segments = PlanCacheFormat.Segments(length);
        Assert.Equal((length + Segment - 1) / Segment, segments);
        var hashes = new ulong[segments];
        for (int s = 0; s < segments; s++)
            hashes[s] = PlanCacheFormat.Checksum(data.AsSpan(s * Segment, Math.Min(Segment, length - s * Segment)));
        Assert.Equal(PlanCacheFormat.CombineSegments(hashes), PlanCacheFormat.ArrayChecksum(data));
    }

    [Fact]
    public void AChangeInAnySegmentTheirOrderOrTheLengthChangesTheChecksum()
    {
        var data = RandomBytes(5 * Segment / 2, 3);
        ulong expected = PlanCacheFormat.ArrayChecksum(data);
        foreach (int at in new[] { 0, Segment - 1, Segment, 2 * Segment + 7, data.Length - 1 })
        {
            var changed = (byte[])data.Clone();
            changed[at] ^= 0x01;
            Assert.NotEqual(expected, PlanCacheFormat.ArrayChecksum(changed));
        }
        // The first two segments swapped: each segment's hash is unchanged, their order is not.
        var swapped = (byte[])data.Clone();
        data.AsSpan(0, Segment).CopyTo(swapped.AsSpan(Segment));
        data.AsSpan(Segment, Segment).CopyTo(swapped);
        Assert.NotEqual(expected, PlanCacheFormat.ArrayChecksum(swapped));
        Assert.NotEqual(expected, PlanCacheFormat.ArrayChecksum(data.AsSpan(0, data.Length - 1)));
        Assert.NotEqual(expected, PlanCacheFormat.ArrayChecksum(data.AsSpan(0, 2 * Segment)));
    }

    /// <summary>A file of one chunk whose slot values span several segments, written by <see cref="PlanCacheWriter"/>; returns its arrays.</summary>
    private static byte[][] WriteFile(Accelerator accelerator, string path, PlanCacheKey key)
    {
        var lengths = new long[ChunkArrays.Count];
        for (int a = 0; a < ChunkArrays.Count; a++) lengths[a] = 3 + a;
        lengths[ChunkArrays.Copies] = 0; // an empty array among the others
        lengths[ChunkArrays.SlotIndex] = Segment / 2 + 5;           // two segments
        lengths[ChunkArrays.SlotValue] = (5 * Segment / 2 + 12) / 4; // three
        var shape = new ChunkShape(lengths);
        using var chunk = new PinnedChunk(accelerator, shape);
        chunk.Hold(0, 1, 2, shape);
        var arrays = new byte[ChunkArrays.Count][];
        for (int a = 0; a < ChunkArrays.Count; a++)
        {
            arrays[a] = RandomBytes((int)shape.ArrayBytes(a), 100 + a);
            arrays[a].CopyTo(chunk.Bytes(a));
        }
        using var writer = new PlanCacheWriter(path, key, layers: 1, chunks: 1);
        writer.Write(chunk);
        writer.Commit([new PlannedLayer(1, 1, 1, 1, 1, false, false, 4, 4, true, false)]);
        return arrays;
    }

    [Fact]
    public void AReaderReadsEverySegmentAndFindsDamageInALaterOne()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "segments.plan");
        var key = new PlanCacheKey("test key\n", "segments.plan");
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        var arrays = WriteFile(accelerator, path, key);

        using (var reader = PlanCacheReader.Open(path, key, layers: 1, layersPerChunk: 1, out var problem))
        {
            Assert.Null(problem);
            using var target = new PinnedChunk(accelerator, reader!.LargestChunk);
            Assert.True(reader.TryRead(0, target, new ParallelOptions(), out problem), problem);
            for (int a = 0; a < ChunkArrays.Count; a++) Assert.Equal(arrays[a], target.Bytes(a).ToArray());
        }

        // One bit of the third segment of the slot values.
        long offset = Header(path).Chunks[0].Offsets[ChunkArrays.SlotValue] + 2L * Segment + 9;
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        using (var reader = PlanCacheReader.Open(path, key, layers: 1, layersPerChunk: 1, out var problem))
        {
            Assert.Null(problem);
            using var target = new PinnedChunk(accelerator, reader!.LargestChunk);
            Assert.False(reader.TryRead(0, target, new ParallelOptions(), out problem));
            Assert.Equal("damaged: chunk 1's slot values do not match their checksum", problem);
        }
    }

    [Fact]
    public void AFileCutShortAfterItWasOpenedIsUnreadableNotUsed()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "cut.plan");
        var key = new PlanCacheKey("test key\n", "cut.plan");
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        WriteFile(accelerator, path, key);
        long cut = Header(path).Chunks[0].Offsets[ChunkArrays.SlotValue] + Segment;

        using var reader = PlanCacheReader.Open(path, key, layers: 1, layersPerChunk: 1, out var problem);
        Assert.Null(problem);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            file.SetLength(cut);
        using var target = new PinnedChunk(accelerator, reader!.LargestChunk);
        Assert.False(reader.TryRead(0, target, new ParallelOptions(), out problem));
        Assert.StartsWith("unreadable: chunk 1: ", problem);
    }

    private static PlanCacheFormat.Header Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return PlanCacheFormat.ReadHeader(bytes, bytes.Length, out var problem) ?? throw new InvalidOperationException(problem);
    }
}
