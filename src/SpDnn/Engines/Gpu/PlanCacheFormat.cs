using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Where one chunk's arrays lie in a plan cache file, their elements (<paramref name="Lengths"/>),
/// the elements stored (<paramref name="Stored"/>: all of them, or one that every element
/// repeats) and the checksums of the stored bytes.
/// </summary>
internal sealed record CachedChunk(int FirstLayer, int Count, int MaxBlocks, long[] Offsets, long[] Lengths, long[] Stored, ulong[] Checksums)
{
    public ChunkShape Shape => new(Lengths);

    /// <summary>Whether array <paramref name="array"/> is stored as the one element it repeats.</summary>
    public bool Repeats(int array) => Stored[array] < Lengths[array];

    /// <summary>Bytes array <paramref name="array"/> takes in the file.</summary>
    public long StoredBytes(int array) => Stored[array] * ChunkArrays.ElementBytes[array];
}

/// <summary>
/// The plan cache file (<c>*.plan</c>), little-endian: a header, then each chunk's arrays
/// (<see cref="ChunkArrays"/> order), each starting on a 64-byte boundary.
/// <code>
/// 0   8  magic "SPDNNPLN"
/// 8   4  format version
/// 12  4  header bytes H (a multiple of 64)
/// 16  8  file length (a shorter file is truncated)
/// 24  8  XxHash3 of the key text
/// 32  4  key text bytes K
/// 36  4  layers L
/// 40  4  chunks C
/// 44  4  arrays per chunk
/// 48  16 reserved, zero
/// 64  K  key text (UTF-8, <see cref="PlanCacheKey"/>), then zeros to a multiple of 8
///        L layer records of 56 bytes: nonzeros, full computed, merged computed, warp rows, footprint (i64), flags (i32: 1 resident,
///        2 column lanes, 4 keeps zero rows zero, 8 general), inputs, outputs, 0 (i32)
///        C chunk records: first layer, layers, most blocks, 0 (i32), then per array offset, elements, stored elements (i64)
///        and the checksum of the stored bytes (u64, <see cref="ArrayChecksum"/>)
/// H-8 8  XxHash3 of bytes 0 .. H-9
/// </code>
/// An array whose elements are all the same bits is stored as that one element (stored elements
/// 1), the rest as they are: a challenge layer's slot values and biases, 61% of its plan, are one
/// weight and one bias repeated, and a reader fills them in faster than it reads them.
/// A file is used only when its header checks out whole (magic, version, checksum, length, key,
/// counts, every array inside the file); each array is checked against its checksum as it is read.
/// An array's checksum is the XxHash3 of its segments' XxHash3s (<see cref="SegmentBytes"/> each),
/// so that a reader checks the segments of a chunk on all cores at once (a chunk's slot values,
/// a quarter of a gigabyte at N = 65536, would otherwise be hashed by one core).
/// </summary>
internal static class PlanCacheFormat
{
    public static ReadOnlySpan<byte> Magic => "SPDNNPLN"u8;

    /// <summary>Raise when the layout of the file changes.</summary>
    public const uint Version = 6;

    /// <summary>Bytes of an array hashed on their own (the last segment may be shorter).</summary>
    public const int SegmentBytes = 1 << 20;

    public const int Alignment = 64;
    public const int FixedBytes = 64;
    public const int LayerRecordBytes = 56;
    public const int ChunkRecordBytes = 16 + ChunkArrays.Count * ArrayRecordBytes;

    private const int ArrayRecordBytes = 32;

    public static long Align(long offset) => (offset + Alignment - 1) & ~(long)(Alignment - 1);

    public static int HeaderBytes(int keyBytes, int layers, int chunks) =>
        checked((int)Align(FixedBytes + Align8(keyBytes) + (long)layers * LayerRecordBytes + (long)chunks * ChunkRecordBytes + 8));

    private static int Align8(int bytes) => (bytes + 7) & ~7;

    public static ulong Checksum(ReadOnlySpan<byte> data) => XxHash3.HashToUInt64(data);

    /// <summary>Segments an array of <paramref name="bytes"/> bytes is hashed in (none when empty).</summary>
    public static int Segments(long bytes) => checked((int)((bytes + SegmentBytes - 1) / SegmentBytes));

    /// <summary>The checksum of one array: its segments hashed one by one (<see cref="SegmentChecksum"/>), then <see cref="CombineSegments"/>.</summary>
    public static ulong ArrayChecksum(ReadOnlySpan<byte> data)
    {
        var segments = new ulong[Segments(data.Length)];
        for (int s = 0; s < segments.Length; s++) segments[s] = SegmentChecksum(data, s);
        return CombineSegments(segments);
    }

    /// <summary>The XxHash3 of segment <paramref name="segment"/> of the array <paramref name="data"/>.</summary>
    public static ulong SegmentChecksum(ReadOnlySpan<byte> data, int segment)
    {
        long start = (long)segment * SegmentBytes;
        return Checksum(data.Slice((int)start, (int)Math.Min(SegmentBytes, data.Length - start)));
    }

    /// <summary>
    /// Whether <paramref name="data"/>, elements of <paramref name="elementBytes"/> bytes, holds at
    /// least two elements, all of the same bits (then stored as one).
    /// </summary>
    public static bool RepeatsOneElement(ReadOnlySpan<byte> data, int elementBytes)
    {
        if (data.Length < 2 * elementBytes) return false;
        return elementBytes switch
        {
            2 => !MemoryMarshal.Cast<byte, ushort>(data).ContainsAnyExcept(MemoryMarshal.Read<ushort>(data)),
            4 => !MemoryMarshal.Cast<byte, uint>(data).ContainsAnyExcept(MemoryMarshal.Read<uint>(data)),
            8 => !MemoryMarshal.Cast<byte, ulong>(data).ContainsAnyExcept(MemoryMarshal.Read<ulong>(data)),
            _ => throw new ArgumentOutOfRangeException(nameof(elementBytes), elementBytes, "Elements are 2, 4 or 8 bytes."),
        };
    }

    /// <summary>Fills <paramref name="target"/> with <paramref name="element"/> repeated (its length a whole number of elements).</summary>
    public static void FillRepeated(Span<byte> target, ReadOnlySpan<byte> element)
    {
        switch (element.Length)
        {
            case 2: MemoryMarshal.Cast<byte, ushort>(target).Fill(MemoryMarshal.Read<ushort>(element)); break;
            case 4: MemoryMarshal.Cast<byte, uint>(target).Fill(MemoryMarshal.Read<uint>(element)); break;
            case 8: MemoryMarshal.Cast<byte, ulong>(target).Fill(MemoryMarshal.Read<ulong>(element)); break;
            default: throw new ArgumentOutOfRangeException(nameof(element), element.Length, "Elements are 2, 4 or 8 bytes.");
        }
    }

    /// <summary>An array's checksum from its segments' hashes, in order: their XxHash3, each hash 8 bytes little-endian.</summary>
    public static ulong CombineSegments(ReadOnlySpan<ulong> segmentHashes)
    {
        var bytes = new byte[segmentHashes.Length * sizeof(ulong)];
        for (int s = 0; s < segmentHashes.Length; s++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(s * sizeof(ulong)), segmentHashes[s]);
        return Checksum(bytes);
    }

    /// <summary>Writes the header into <paramref name="h"/> (its whole length).</summary>
    public static void WriteHeader(Span<byte> h, long fileLength, string key, ReadOnlySpan<PlannedLayer> layers, IReadOnlyList<CachedChunk> chunks)
    {
        h.Clear();
        var keyBytes = Encoding.UTF8.GetBytes(key);
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)h.Length);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], fileLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Checksum(keyBytes));
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], keyBytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], layers.Length);
        BinaryPrimitives.WriteInt32LittleEndian(h[40..], chunks.Count);
        BinaryPrimitives.WriteInt32LittleEndian(h[44..], ChunkArrays.Count);
        keyBytes.CopyTo(h[FixedBytes..]);
        int at = FixedBytes + Align8(keyBytes.Length);
        foreach (var l in layers)
        {
            BinaryPrimitives.WriteInt64LittleEndian(h[at..], l.NonZeros);
            BinaryPrimitives.WriteInt64LittleEndian(h[(at + 8)..], l.FullComputed);
            BinaryPrimitives.WriteInt64LittleEndian(h[(at + 16)..], l.MergedComputed);
            BinaryPrimitives.WriteInt64LittleEndian(h[(at + 24)..], l.WarpRows);
            BinaryPrimitives.WriteInt64LittleEndian(h[(at + 32)..], l.Footprint);
            int flags = (l.Resident ? 1 : 0) | (l.ColumnLanes ? 2 : 0) | (l.KeepsZeroRowsZero ? 4 : 0) | (l.General ? 8 : 0) | (l.ImageBits ? 16 : 0) | (l.Tail ? 32 : 0);
            BinaryPrimitives.WriteInt32LittleEndian(h[(at + 40)..], flags);
            BinaryPrimitives.WriteInt32LittleEndian(h[(at + 44)..], l.Inputs);
            BinaryPrimitives.WriteInt32LittleEndian(h[(at + 48)..], l.Outputs);
            at += LayerRecordBytes;
        }
        foreach (var c in chunks)
        {
            BinaryPrimitives.WriteInt32LittleEndian(h[at..], c.FirstLayer);
            BinaryPrimitives.WriteInt32LittleEndian(h[(at + 4)..], c.Count);
            BinaryPrimitives.WriteInt32LittleEndian(h[(at + 8)..], c.MaxBlocks);
            for (int a = 0; a < ChunkArrays.Count; a++)
            {
                int e = at + 16 + a * ArrayRecordBytes;
                BinaryPrimitives.WriteInt64LittleEndian(h[e..], c.Offsets[a]);
                BinaryPrimitives.WriteInt64LittleEndian(h[(e + 8)..], c.Lengths[a]);
                BinaryPrimitives.WriteInt64LittleEndian(h[(e + 16)..], c.Stored[a]);
                BinaryPrimitives.WriteUInt64LittleEndian(h[(e + 24)..], c.Checksums[a]);
            }
            at += ChunkRecordBytes;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(h[^8..], Checksum(h[..^8]));
    }

    /// <summary>What a header holds, once it has checked out.</summary>
    public sealed record Header(string Key, PlannedLayer[] Layers, CachedChunk[] Chunks);

    /// <summary>
    /// Reads and checks the header of a file of <paramref name="fileLength"/> bytes whose first
    /// bytes are <paramref name="file"/> (at least the header); null with the reason when it does not check out.
    /// </summary>
    public static Header? ReadHeader(ReadOnlySpan<byte> file, long fileLength, out string? problem)
    {
        problem = null;
        if (fileLength < FixedBytes || !file[..Magic.Length].SequenceEqual(Magic)) return Fail("not a plan cache file", out problem);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (version != Version) return Fail($"format version {version}, this build reads {Version} (stale)", out problem);
        long headerBytes = BinaryPrimitives.ReadUInt32LittleEndian(file[12..]);
        if (headerBytes < FixedBytes + 8 || headerBytes % Alignment != 0 || headerBytes > fileLength)
            return Fail(headerBytes > fileLength ? $"truncated: {fileLength} bytes, shorter than its header ({headerBytes})" : "damaged header (its length)", out problem);
        var h = file[..(int)headerBytes];
        if (BinaryPrimitives.ReadUInt64LittleEndian(h[^8..]) != Checksum(h[..^8])) return Fail("damaged header (checksum)", out problem);
        long recorded = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        if (recorded != fileLength)
            return Fail(recorded > fileLength ? $"truncated: {fileLength} bytes of {recorded}" : $"{fileLength - recorded} bytes beyond its end", out problem);
        int keyBytes = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        int layers = BinaryPrimitives.ReadInt32LittleEndian(h[36..]);
        int chunks = BinaryPrimitives.ReadInt32LittleEndian(h[40..]);
        int arrays = BinaryPrimitives.ReadInt32LittleEndian(h[44..]);
        if (keyBytes < 0 || layers < 0 || chunks < 0 || arrays != ChunkArrays.Count || HeaderBytes(keyBytes, layers, chunks) != headerBytes)
            return Fail("damaged header (its counts)", out problem);
        var keySpan = h.Slice(FixedBytes, keyBytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(h[24..]) != Checksum(keySpan)) return Fail("damaged header (key checksum)", out problem);
        string key = Encoding.UTF8.GetString(keySpan);
        int at = FixedBytes + Align8(keyBytes);
        var layerRecords = new PlannedLayer[layers];
        for (int k = 0; k < layers; k++, at += LayerRecordBytes)
        {
            int flags = BinaryPrimitives.ReadInt32LittleEndian(h[(at + 40)..]);
            layerRecords[k] = new PlannedLayer(BinaryPrimitives.ReadInt64LittleEndian(h[at..]), BinaryPrimitives.ReadInt64LittleEndian(h[(at + 8)..]),
                BinaryPrimitives.ReadInt64LittleEndian(h[(at + 16)..]), BinaryPrimitives.ReadInt64LittleEndian(h[(at + 24)..]),
                BinaryPrimitives.ReadInt64LittleEndian(h[(at + 32)..]), (flags & 1) != 0, (flags & 2) != 0,
                BinaryPrimitives.ReadInt32LittleEndian(h[(at + 44)..]), BinaryPrimitives.ReadInt32LittleEndian(h[(at + 48)..]), (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0, (flags & 32) != 0);
        }
        var chunkRecords = new CachedChunk[chunks];
        long expectedOffset = headerBytes;
        for (int c = 0; c < chunks; c++, at += ChunkRecordBytes)
        {
            var offsets = new long[ChunkArrays.Count];
            var lengths = new long[ChunkArrays.Count];
            var stored = new long[ChunkArrays.Count];
            var checksums = new ulong[ChunkArrays.Count];
            for (int a = 0; a < ChunkArrays.Count; a++)
            {
                int e = at + 16 + a * ArrayRecordBytes;
                offsets[a] = BinaryPrimitives.ReadInt64LittleEndian(h[e..]);
                lengths[a] = BinaryPrimitives.ReadInt64LittleEndian(h[(e + 8)..]);
                stored[a] = BinaryPrimitives.ReadInt64LittleEndian(h[(e + 16)..]);
                checksums[a] = BinaryPrimitives.ReadUInt64LittleEndian(h[(e + 24)..]);
                long bytes = stored[a] * ChunkArrays.ElementBytes[a];
                // Arrays follow one another in order, each aligned, whole or one element repeated: anything else is damage.
                if (lengths[a] < 0 || lengths[a] * ChunkArrays.ElementBytes[a] > Array.MaxLength || (stored[a] != lengths[a] && stored[a] != 1)
                    || offsets[a] != expectedOffset || offsets[a] + bytes > fileLength)
                    return Fail($"damaged header (chunk {c + 1}'s {ChunkArrays.Name(a)})", out problem);
                expectedOffset = Align(offsets[a] + bytes);
            }
            chunkRecords[c] = new CachedChunk(BinaryPrimitives.ReadInt32LittleEndian(h[at..]), BinaryPrimitives.ReadInt32LittleEndian(h[(at + 4)..]),
                BinaryPrimitives.ReadInt32LittleEndian(h[(at + 8)..]), offsets, lengths, stored, checksums);
        }
        if (expectedOffset != fileLength) return Fail("damaged header (the arrays do not end the file)", out problem);
        return new Header(key, layerRecords, chunkRecords);
    }

    private static Header? Fail(string reason, out string? problem)
    {
        problem = reason;
        return null;
    }
}
