using System.IO.Compression;

namespace SpDnn.Formats.Npz;

/// <summary>The arrays of a .npz file (a zip of .npy files, stored or deflated), read on demand by name.</summary>
internal sealed class NpzArchive : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    public NpzArchive(string path)
    {
        Path = path;
        try
        {
            _zip = ZipFile.OpenRead(path);
            foreach (var entry in _zip.Entries)
                if (entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) _entries[entry.FullName[..^4]] = entry;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException and not FileNotFoundException)
        {
            _zip?.Dispose();
            throw new SpDnnDataException(path, $"not a readable .npz archive (truncated or not a zip): {e.Message}");
        }
        // A zip bomb (a small archive whose arrays expand to gigabytes, or entries sharing one
        // stream of compressed bytes) is refused from the sizes the archive declares, before any
        // array is decompressed; each array is then read only up to its declared size.
        long stored = new FileInfo(path).Length, declared = _entries.Values.Sum(e => e.Length), most = SizeLimits.MaxExpandedBytes(stored);
        if (declared > most)
        {
            _zip.Dispose();
            throw new SpDnnDataException(path, $"its arrays declare {declared} bytes once decompressed, more than an archive of {stored} bytes may hold ({most}): refused as a decompression bomb");
        }
    }

    public string Path { get; }

    public IReadOnlyCollection<string> Names => _entries.Keys;

    public bool Contains(string name) => _entries.ContainsKey(name);

    public NpyArray Get(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
            throw new SpDnnDataException(Path, $"has no array \"{name}\" (it holds {string.Join(", ", _entries.Keys.Order().Take(12))}{(_entries.Count > 12 ? ", ..." : "")})");
        try
        {
            using var stream = entry.Open();
            return NpyArray.Read(stream, Path, name, entry.Length);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new SpDnnDataException(Path, $"array \"{name}\" cannot be decompressed: {e.Message}");
        }
    }

    public NpyArray? Find(string name) => Contains(name) ? Get(name) : null;

    public void Dispose() => _zip?.Dispose();
}
