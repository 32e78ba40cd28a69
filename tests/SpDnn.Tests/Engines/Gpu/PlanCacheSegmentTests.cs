using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using SpDnn.Engines.Gpu;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// Plan cache arrays are checked segment by segment (<see cref="PlanCacheFormat.SegmentBytes"/>),
/// in parallel: the checksum still covers every byte and the segments' order, and a reader finds
/// damage in any segment of an array of several, and a file cut short after it was opened. An
/// array of one element repeated is stored as that element, read back whole, copied as it is.
/// </summary>
public sealed class PlanCacheSegmentTests
{
    private const int Segment = PlanCacheFormat.SegmentBytes;

    /// <summary>A temporary folder for cache files, ILGPU's CPU accelerator (for page-locked buffers) and one cache key.</summary>
    private sealed class CacheFolder : IDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly Context _context = Context.Create(b => b.CPU());

        public CacheFolder() => Accelerator = _context.CreateCPUAccelerator(0);

        public Accelerator Accelerator { get; }
        public PlanCacheKey Key { get; } = new("test key\n", "test.plan");

        public string File(string name) => Path.Combine(_dir.Path, name);

        public void Dispose()
        {
            Accelerator.Dispose();
            _context.Dispose();
            _dir.Dispose();
        }
    }

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
    /// <param name="repeated">Arrays whose every element is the same (2, 4 and 8 bytes: slot indices, slot values, bias, the table).</param>
    private static byte[][] WriteFile(CacheFolder cache, string path, bool repeated = false)
    {
        var lengths = new long[ChunkArrays.Count];
        for (int a = 0; a < ChunkArrays.Count; a++) lengths[a] = 3 + a;
        lengths[ChunkArrays.Copies] = 0; // an empty array among the others
        lengths[ChunkArrays.SlotIndex] = Segment / 2 + 5;           // two segments
        lengths[ChunkArrays.SlotValue] = (5 * Segment / 2 + 12) / 4; // three
        var shape = new ChunkShape(lengths);
        using var chunk = new PinnedChunk(cache.Accelerator, shape);
        chunk.Hold(0, 1, 2, shape);
        var arrays = new byte[ChunkArrays.Count][];
        for (int a = 0; a < ChunkArrays.Count; a++)
        {
            arrays[a] = RandomBytes((int)shape.ArrayBytes(a), 100 + a);
            if (repeated && a is ChunkArrays.SlotIndex or ChunkArrays.SlotValue or ChunkArrays.Bias or ChunkArrays.Table)
                PlanCacheFormat.FillRepeated(arrays[a], arrays[a].AsSpan(0, ChunkArrays.ElementBytes[a]));
            arrays[a].CopyTo(chunk.Bytes(a));
        }
        using var writer = new PlanCacheWriter(path, cache.Key, layers: 1, chunks: 1);
        writer.Write(chunk);
        writer.Commit([new PlannedLayer(1, 1, 1, 1, 1, false, false, 4, 4, true, false)]);
        return arrays;
    }

    [Fact]
    public void AReaderReadsEverySegmentAndFindsDamageInALaterOne()
    {
        using var cache = new CacheFolder();
        string path = cache.File("segments.plan");
        var arrays = WriteFile(cache, path);

        AssertReadsBack(cache, path, arrays);

        // One bit of the third segment of the slot values.
        FlipBit(path, Header(path).Chunks[0].Offsets[ChunkArrays.SlotValue] + 2L * Segment + 9, 0x10);
        AssertDamagedSlotValues(cache, path);
    }

    /// <summary>Opens the file of one chunk and reads it: it checks out and holds <paramref name="arrays"/>.</summary>
    private static void AssertReadsBack(CacheFolder cache, string path, byte[][] arrays, bool clearFirst = false)
    {
        using var reader = PlanCacheReader.Open(path, cache.Key, layers: 1, layersPerChunk: 1, out var problem);
        Assert.Null(problem);
        using var target = new PinnedChunk(cache.Accelerator, reader!.LargestChunk);
        if (clearFirst) for (int a = 0; a < ChunkArrays.Count; a++) target.Bytes(a).Clear();
        Assert.True(reader.TryRead(0, target, new ParallelOptions(), out problem), problem);
        for (int a = 0; a < ChunkArrays.Count; a++) Assert.Equal(arrays[a], target.Bytes(a).ToArray());
    }

    /// <summary>Opens the file of one chunk (its header checks out) and finds its slot values damaged on reading.</summary>
    private static void AssertDamagedSlotValues(CacheFolder cache, string path)
    {
        using var reader = PlanCacheReader.Open(path, cache.Key, layers: 1, layersPerChunk: 1, out var problem);
        Assert.Null(problem);
        using var target = new PinnedChunk(cache.Accelerator, reader!.LargestChunk);
        Assert.False(reader.TryRead(0, target, new ParallelOptions(), out problem));
        Assert.Equal("damaged: chunk 1's slot values do not match their checksum", problem);
    }

    private static void FlipBit(string path, long offset, byte bit)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= bit;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void AFileCutShortAfterItWasOpenedIsUnreadableNotUsed()
    {
        using var cache = new CacheFolder();
        string path = cache.File("cut.plan");
        WriteFile(cache, path);
        long cut = Header(path).Chunks[0].Offsets[ChunkArrays.SlotValue] + Segment;

        using var reader = PlanCacheReader.Open(path, cache.Key, layers: 1, layersPerChunk: 1, out var problem);
        Assert.Null(problem);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            file.SetLength(cut);
        using var target = new PinnedChunk(cache.Accelerator, reader!.LargestChunk);
        Assert.False(reader.TryRead(0, target, new ParallelOptions(), out problem));
        Assert.StartsWith("unreadable: chunk 1: ", problem);
    }

    [Fact]
    public void AnArrayOfOneElementRepeatedIsStoredAsThatElementAndReadBackWhole()
    {
        using var cache = new CacheFolder();
        string path = cache.File("repeated.plan"), whole = cache.File("whole.plan");
        var arrays = WriteFile(cache, path, repeated: true);
        WriteFile(cache, whole);
        var chunk = Header(path).Chunks[0];
        foreach (int a in new[] { ChunkArrays.SlotIndex, ChunkArrays.SlotValue, ChunkArrays.Bias, ChunkArrays.Table })
        {
            Assert.True(chunk.Repeats(a), ChunkArrays.Name(a));
            Assert.Equal(1, chunk.Stored[a]);
            Assert.Equal(arrays[a].Length / ChunkArrays.ElementBytes[a], chunk.Lengths[a]);
        }
        Assert.False(chunk.Repeats(ChunkArrays.Footprint));
        Assert.True(new FileInfo(path).Length < new FileInfo(whole).Length - 3 * Segment);

        // Read into a cleared buffer: the repeated arrays are filled in, not left as they were.
        AssertReadsBack(cache, path, arrays, clearFirst: true);

        // A chunk copied into a new file (a damaged file's good chunks are) keeps its stored form.
        string copy = cache.File("copy.plan");
        using (var reader = PlanCacheReader.Open(path, cache.Key, layers: 1, layersPerChunk: 1, out var problem))
        using (var writer = new PlanCacheWriter(copy, cache.Key, layers: 1, chunks: 1))
        {
            Assert.Null(problem);
            writer.Copy(reader!, 0);
            writer.Commit([new PlannedLayer(1, 1, 1, 1, 1, false, false, 4, 4, true, false)]);
        }
        Assert.Equal(new FileInfo(path).Length, new FileInfo(copy).Length);
        Assert.Equal(chunk.Stored, Header(copy).Chunks[0].Stored);
        AssertReadsBack(cache, copy, arrays);

        // One bit of the repeated slot value: found before anything is filled in with it.
        FlipBit(path, chunk.Offsets[ChunkArrays.SlotValue] + 2, 0x08);
        AssertDamagedSlotValues(cache, path);
    }

    [Fact]
    public void AHeaderWithStoredElementsNeitherOneNorAllIsDamaged()
    {
        using var cache = new CacheFolder();
        string path = cache.File("stored.plan");
        WriteFile(cache, path, repeated: true);
        var bytes = File.ReadAllBytes(path);
        var header = Header(path);
        var c = header.Chunks[0];
        var stored = (long[])c.Stored.Clone();
        stored[ChunkArrays.SlotValue] = 2;
        int headerBytes = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        PlanCacheFormat.WriteHeader(bytes.AsSpan(0, headerBytes), bytes.Length, header.Key, header.Layers, [c with { Stored = stored }]);
        Assert.Null(PlanCacheFormat.ReadHeader(bytes, bytes.Length, out var problem));
        Assert.Equal("damaged header (chunk 1's slot values)", problem);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void OnlyArraysOfOneElementRepeatedAtLeastTwiceRepeat(int size)
    {
        var same = new byte[5 * size];
        byte[] element = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
        PlanCacheFormat.FillRepeated(same, element.AsSpan(0, size));
        Assert.True(PlanCacheFormat.RepeatsOneElement(same, size));
        Assert.False(PlanCacheFormat.RepeatsOneElement(same.AsSpan(0, size), size));
        Assert.False(PlanCacheFormat.RepeatsOneElement([], size));
        var last = (byte[])same.Clone();
        last[^1] ^= 1;
        Assert.False(PlanCacheFormat.RepeatsOneElement(last, size));
        // +0 and -0 are different bits: never one element.
        var zeros = new byte[2 * size];
        zeros[^1] = 0x80;
        Assert.False(PlanCacheFormat.RepeatsOneElement(zeros, size));
    }

    private static PlanCacheFormat.Header Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return PlanCacheFormat.ReadHeader(bytes, bytes.Length, out var problem) ?? throw new InvalidOperationException(problem);
    }
}
