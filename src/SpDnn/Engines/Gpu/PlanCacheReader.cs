using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A plan cache file opened for reading: memory-mapped, its header checked whole on opening,
/// each chunk's arrays read into a page-locked buffer and checked against their checksums when
/// the chunk is read (so a damaged chunk is never used, and the file is read once). Chunks are
/// read with positional reads rather than through the mapping: no page of the mapping is touched
/// (a plan of tens of gigabytes would fault in millions of pages), and threads read in parallel.
/// </summary>
internal sealed unsafe class PlanCacheReader : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeFileHandle _file;
    private readonly byte* _base;
    private readonly long _length;

    private PlanCacheReader(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, SafeFileHandle file, byte* pointer, long length, PlanCacheFormat.Header header)
    {
        Path = path;
        _map = map;
        _view = view;
        _file = file;
        _base = pointer;
        _length = length;
        Header = header;
    }

    public string Path { get; }
    public PlanCacheFormat.Header Header { get; }

    /// <summary>
    /// The file at <paramref name="path"/> when it checks out for <paramref name="key"/>, a plan of
    /// <paramref name="layers"/> layers in chunks of <paramref name="layersPerChunk"/>; else null and
    /// what is wrong (null too when there is no file: nothing to report).
    /// </summary>
    public static PlanCacheReader? Open(string path, PlanCacheKey key, int layers, int layersPerChunk, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        SafeFileHandle? file = null;
        try
        {
            long length = new FileInfo(path).Length;
            if (length < PlanCacheFormat.FixedBytes)
            {
                problem = $"truncated: {length} bytes";
                return null;
            }
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            var header = PlanCacheFormat.ReadHeader(new ReadOnlySpan<byte>(pointer, (int)Math.Min(length, int.MaxValue)), length, out problem);
            if (header is not null)
            {
                if (header.Key != key.Text) problem = $"stale: {key.Difference(header.Key)}";
                else if (!Chunked(header, layers, layersPerChunk)) problem = "damaged header (its chunks do not cover the layers)";
                else
                {
                    var reader = new PlanCacheReader(path, map, view, file, pointer, length, header);
                    map = null;
                    view = null;
                    file = null;
                    return reader;
                }
            }
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"unreadable: {e.Message}";
            return null;
        }
        finally
        {
            view?.Dispose();
            map?.Dispose();
            file?.Dispose();
        }
    }

    private static bool Chunked(PlanCacheFormat.Header header, int layers, int layersPerChunk)
    {
        if (header.Layers.Length != layers || header.Chunks.Length != (layers + layersPerChunk - 1) / layersPerChunk) return false;
        for (int c = 0; c < header.Chunks.Length; c++)
        {
            var chunk = header.Chunks[c];
            if (chunk.FirstLayer != c * layersPerChunk || chunk.Count != Math.Min(layersPerChunk, layers - chunk.FirstLayer) || chunk.MaxBlocks < 0) return false;
        }
        return true;
    }

    /// <summary>The largest chunk of the file, array by array: what a buffer for any of them needs.</summary>
    public ChunkShape LargestChunk => Header.Chunks.Aggregate(ChunkShape.Empty, (max, c) => ChunkShape.Max(max, c.Shape));

    /// <summary>The stored bytes of array <paramref name="array"/> of chunk <paramref name="chunk"/>: all of it, or the element it repeats (checked by <see cref="TryRead"/>).</summary>
    public ReadOnlySpan<byte> StoredBytes(int chunk, int array)
    {
        var c = Header.Chunks[chunk];
        return new ReadOnlySpan<byte>(_base + c.Offsets[array], (int)c.StoredBytes(array));
    }

    /// <summary>
    /// Copies chunk <paramref name="chunk"/> into <paramref name="target"/> and checks every array
    /// against its checksum; false, with the first array that differs, when one does. The arrays'
    /// segments are read and hashed in parallel, each hashed while it is in cache; an array stored
    /// as one repeated element has that element checked first, then its segments filled with it.
    /// </summary>
    public bool TryRead(int chunk, PinnedChunk target, ParallelOptions parallel, out string? problem)
    {
        var c = Header.Chunks[chunk];
        target.Hold(c.FirstLayer, c.Count, c.MaxBlocks, c.Shape);
        var repeated = new byte[ChunkArrays.Count][];
        // Work item k is segment k - firstSegment[a] of array a.
        var firstSegment = new int[ChunkArrays.Count + 1];
        for (int a = 0; a < ChunkArrays.Count; a++) firstSegment[a + 1] = firstSegment[a] + PlanCacheFormat.Segments(target.Bytes(a).Length);
        var hashes = new ulong[firstSegment[^1]];
        try
        {
            for (int a = 0; a < ChunkArrays.Count; a++)
            {
                if (!c.Repeats(a)) continue;
                var element = new byte[c.StoredBytes(a)];
                Read(c.Offsets[a], element);
                if (PlanCacheFormat.ArrayChecksum(element) != c.Checksums[a])
                {
                    problem = Damaged(chunk, a);
                    return false;
                }
                repeated[a] = element;
            }
            ReadSegments(chunk, target, firstSegment, hashes, repeated, parallel);
        }
        catch (IOException e)
        {
            problem = $"unreadable: chunk {chunk + 1}: {e.Message}";
            return false;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is IOException))
        {
            // Cut short or unreadable since it was opened: like a damaged chunk, planned again.
            problem = $"unreadable: chunk {chunk + 1}: {e.InnerExceptions[0].Message}";
            return false;
        }
        for (int a = 0; a < ChunkArrays.Count; a++)
        {
            if (repeated[a] is not null || PlanCacheFormat.CombineSegments(hashes.AsSpan(firstSegment[a], firstSegment[a + 1] - firstSegment[a])) == c.Checksums[a]) continue;
            problem = Damaged(chunk, a);
            return false;
        }
        problem = null;
        return true;
    }

    private static string Damaged(int chunk, int array) => $"damaged: chunk {chunk + 1}'s {ChunkArrays.Name(array)} do not match their checksum";

    /// <summary>
    /// Reads chunk <paramref name="chunk"/>'s arrays into <paramref name="target"/>, segment by
    /// segment in parallel, each segment's hash into <paramref name="hashes"/>; the segments of an
    /// array with a <paramref name="repeated"/> element (checked already) are filled with it.
    /// </summary>
    private void ReadSegments(int chunk, PinnedChunk target, int[] firstSegment, ulong[] hashes, byte[]?[] repeated, ParallelOptions parallel)
    {
        var c = Header.Chunks[chunk];
        Parallel.For(0, hashes.Length, parallel, item =>
        {
            int a = 0;
            while (firstSegment[a + 1] <= item) a++; // past empty arrays too
            int segment = item - firstSegment[a];
            var destination = target.Bytes(a);
            long start = (long)segment * PlanCacheFormat.SegmentBytes;
            int length = (int)Math.Min(PlanCacheFormat.SegmentBytes, destination.Length - start);
            if (repeated[a] is { } element)
            {
                PlanCacheFormat.FillRepeated(destination.Slice((int)start, length), element);
                return;
            }
            Read(c.Offsets[a] + start, destination.Slice((int)start, length));
            // The copy is what is used, so the copy is what is checked.
            hashes[item] = PlanCacheFormat.SegmentChecksum(destination, segment);
        });
    }

    /// <summary>Fills <paramref name="destination"/> with the file's bytes from <paramref name="offset"/> on (the header vouched they are there).</summary>
    private void Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(_file, destination, offset);
            if (read <= 0) throw new IOException($"{Path}: ended early at byte {offset}.");
            destination = destination[read..];
            offset += read;
        }
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        _file.Dispose();
    }
}
