using System.IO.MemoryMappedFiles;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A plan cache file opened for reading: memory-mapped, its header checked whole on opening,
/// each chunk's arrays copied into a page-locked buffer and checked against their checksums when
/// the chunk is read (so a damaged chunk is never used, and the file is read once).
/// </summary>
internal sealed unsafe class PlanCacheReader : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;

    private PlanCacheReader(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, long length, PlanCacheFormat.Header header)
    {
        Path = path;
        _map = map;
        _view = view;
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
        try
        {
            long length = new FileInfo(path).Length;
            if (length < PlanCacheFormat.FixedBytes)
            {
                problem = $"truncated: {length} bytes";
                return null;
            }
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
                map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
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
                    var reader = new PlanCacheReader(path, map, view, pointer, length, header);
                    map = null;
                    view = null;
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

    /// <summary>The stored bytes of array <paramref name="array"/> of chunk <paramref name="chunk"/> (checked by <see cref="TryRead"/>).</summary>
    public ReadOnlySpan<byte> Bytes(int chunk, int array)
    {
        var c = Header.Chunks[chunk];
        return new ReadOnlySpan<byte>(_base + c.Offsets[array], (int)(c.Lengths[array] * ChunkArrays.ElementBytes[array]));
    }

    /// <summary>
    /// Copies chunk <paramref name="chunk"/> into <paramref name="target"/> and checks every array
    /// against its checksum; false, with the first array that differs, when one does.
    /// </summary>
    public bool TryRead(int chunk, PinnedChunk target, ParallelOptions parallel, out string? problem)
    {
        var c = Header.Chunks[chunk];
        target.Hold(c.FirstLayer, c.Count, c.MaxBlocks, c.Shape);
        var bad = new bool[ChunkArrays.Count];
        Parallel.For(0, ChunkArrays.Count, parallel, a =>
        {
            var destination = target.Bytes(a);
            Bytes(chunk, a).CopyTo(destination);
            // The copy is what is used, so the copy is what is checked.
            bad[a] = PlanCacheFormat.Checksum(destination) != c.Checksums[a];
        });
        int first = Array.IndexOf(bad, true);
        problem = first < 0 ? null : $"damaged: chunk {chunk + 1}'s {ChunkArrays.Name(first)} do not match their checksum";
        return first < 0;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
