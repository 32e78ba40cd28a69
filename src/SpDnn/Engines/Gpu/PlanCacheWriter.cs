using Microsoft.Win32.SafeHandles;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Writes a plan cache file chunk by chunk as the chunks are made: into a temporary file beside
/// the final one (header space reserved first), the header written last, then flushed and renamed
/// over the final name, so a reader sees a whole file or none. Abandoning deletes the temporary.
/// </summary>
internal sealed class PlanCacheWriter : IDisposable
{
    private readonly string _temporary;
    private readonly SafeFileHandle _file;
    private readonly PlanCacheKey _key;
    private readonly int _headerBytes;
    private readonly List<CachedChunk> _chunks = [];
    private long _end;
    private bool _done;

    public PlanCacheWriter(string path, PlanCacheKey key, int layers, int chunks)
    {
        Path = path;
        _key = key;
        _headerBytes = PlanCacheFormat.HeaderBytes(System.Text.Encoding.UTF8.GetByteCount(key.Text), layers, chunks);
        _temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        _file = File.OpenHandle(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None);
        _end = _headerBytes;
    }

    public string Path { get; }

    /// <summary>Chunks written so far (the next one written is chunk <see cref="Written"/>).</summary>
    public int Written => _chunks.Count;

    /// <summary>Appends the chunk <paramref name="chunk"/> holds; an array of one element repeated is stored as that element.</summary>
    public void Write(PinnedChunk chunk)
    {
        Append(chunk.FirstLayer, chunk.Count, chunk.MaxBlocks, (int a, out long elements) =>
        {
            var data = chunk.Bytes(a);
            int size = ChunkArrays.ElementBytes[a];
            elements = data.Length / size;
            return PlanCacheFormat.RepeatsOneElement(data, size) ? data[..size] : data;
        });
    }

    /// <summary>Appends chunk <paramref name="chunk"/> of another cache file, already checked, as it is stored there.</summary>
    public void Copy(PlanCacheReader reader, int chunk)
    {
        var c = reader.Header.Chunks[chunk];
        Append(c.FirstLayer, c.Count, c.MaxBlocks, (int a, out long elements) =>
        {
            elements = c.Lengths[a];
            return reader.StoredBytes(chunk, a);
        });
    }

    /// <summary>The bytes to store of array <paramref name="array"/> (all of it, or the one element it repeats) and its elements.</summary>
    private delegate ReadOnlySpan<byte> StoredArray(int array, out long elements);

    private void Append(int firstLayer, int count, int maxBlocks, StoredArray array)
    {
        var offsets = new long[ChunkArrays.Count];
        var lengths = new long[ChunkArrays.Count];
        var stored = new long[ChunkArrays.Count];
        var checksums = new ulong[ChunkArrays.Count];
        for (int a = 0; a < ChunkArrays.Count; a++)
        {
            var data = array(a, out lengths[a]);
            offsets[a] = _end;
            stored[a] = data.Length / ChunkArrays.ElementBytes[a];
            checksums[a] = PlanCacheFormat.ArrayChecksum(data);
            RandomAccess.Write(_file, data, _end);
            _end = PlanCacheFormat.Align(_end + data.Length);
        }
        _chunks.Add(new CachedChunk(firstLayer, count, maxBlocks, offsets, lengths, stored, checksums));
    }

    /// <summary>Writes the header, flushes and renames the file into place.</summary>
    public void Commit(ReadOnlySpan<PlannedLayer> layers)
    {
        var header = new byte[_headerBytes];
        PlanCacheFormat.WriteHeader(header, _end, _key.Text, layers, _chunks);
        RandomAccess.SetLength(_file, _end);
        RandomAccess.Write(_file, header, 0);
        RandomAccess.FlushToDisk(_file);
        _file.Dispose();
        File.Move(_temporary, Path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes and deletes the temporary file unless committed.</summary>
    public void Dispose()
    {
        _file.Dispose();
        if (_done) return;
        try
        {
            File.Delete(_temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later run overwrites the final name, never this one.
        }
    }
}
