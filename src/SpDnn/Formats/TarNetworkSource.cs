using System.Formats.Tar;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// A network read straight from the downloaded <c>neuron{N}.tar.gz</c> (or a plain .tar) without
/// extracting it. A compressed archive can only be read front to back, so one reader walks it
/// under a lock: asking for the layers in order costs one pass; layers met on the way to the one
/// asked for are kept (as raw bytes, within a memory budget) for the requests that follow, which
/// makes any entry order cheap; a layer already passed restarts the walk. Parsing happens outside
/// the lock, so threads asking for different layers parse them in parallel.
/// </summary>
public sealed class TarNetworkSource : ILayerSource, IDisposable
{
    private readonly object _gate = new();
    private readonly string _path;
    private readonly float[] _bias;
    private readonly long _cacheBudget;
    private readonly Dictionary<int, (byte[] Bytes, string Name)> _cache = [];
    private readonly HashSet<int> _passed = [];
    private long _cached;
    private Stream? _stream;
    private TarReader? _reader;

    /// <param name="layers">Use the first L layers; by default one pass over the archive counts them.</param>
    /// <param name="bias">Constant bias; the challenge's value for N by default.</param>
    /// <param name="cacheBudgetBytes">Raw layer bytes kept for later requests at most.</param>
    public TarNetworkSource(string path, int? layers = null, float? bias = null, long cacheBudgetBytes = 1L << 30)
    {
        _path = path;
        _cacheBudget = cacheBudgetBytes;
        Restart();
        // N from the first layer entry, which stays cached for the first request.
        int? neurons = null;
        while (Next() is { } entry)
        {
            if (LayerFileName.Parse(entry.Name) is not { } name) continue;
            neurons = name.Neurons;
            if (name.Layer - 1 < (layers ?? int.MaxValue)) Keep(name.Layer - 1, entry);
            break;
        }
        Neurons = neurons ?? throw new SpDnnDataException(path, "the archive holds no layer files (expected n{N}-l{k}.tsv entries)");
        LayerCount = layers ?? CountLayers();
        if (LayerCount < 1) throw new SpDnnDataException(path, $"missing layer {LayerFileName.Format(Neurons, 1)} in the archive");
        _bias = NetworkLayer.ConstantBias(Neurons, NetworkBias.Resolve(path, Neurons, bias));
    }

    public int Neurons { get; }
    public int LayerCount { get; }
    public float Bias => _bias[0];
    public string Description => $"{_path} (N={Neurons}, L={LayerCount})";

    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var (bytes, name) = Fetch(index);
        return new NetworkLayer(index, LayerFile.Read(bytes, name, Neurons), _bias);
    }

    private (byte[] Bytes, string Name) Fetch(int index)
    {
        lock (_gate)
        {
            if (_cache.Remove(index, out var hit))
            {
                _cached -= hit.Bytes.Length;
                return hit;
            }
            bool restarted = false;
            while (true)
            {
                if (_passed.Contains(index))
                {
                    Restart();
                    restarted = true;
                }
                while (Next() is { } entry)
                {
                    if (LayerFileName.Parse(entry.Name) is not { } name) continue;
                    int k = name.Layer - 1;
                    if (name.Neurons != Neurons)
                        throw new SpDnnDataException($"{_path}:{entry.Name}", $"wrong N: the name says N={name.Neurons}, the archive's first layer N={Neurons}");
                    if (k == index) return (Read(entry), $"{_path}:{entry.Name}");
                    if (k > index && k < LayerCount && !_cache.ContainsKey(k) && _cached + entry.Length <= _cacheBudget) Keep(k, entry);
                }
                if (!_passed.Contains(index) || restarted)
                    throw new SpDnnDataException(_path, $"missing layer {LayerFileName.Format(Neurons, index + 1)} in the archive");
            }
        }
    }

    private int CountLayers()
    {
        var present = new HashSet<int>(_cache.Keys);
        while (Next() is { } entry)
            if (LayerFileName.Parse(entry.Name) is { } name) present.Add(name.Layer - 1);
        int count = 0;
        while (present.Contains(count)) count++;
        return count;
    }

    private void Keep(int layer, TarEntry entry)
    {
        var bytes = Read(entry);
        _cache[layer] = (bytes, $"{_path}:{entry.Name}");
        _cached += bytes.Length;
    }

    private byte[] Read(TarEntry entry)
    {
        if (entry.Length > Array.MaxLength) throw new SpDnnDataException($"{_path}:{entry.Name}", "layer entry larger than 2 GiB");
        var bytes = GC.AllocateUninitializedArray<byte>((int)entry.Length);
        if (entry.DataStream is { } data)
        {
            try
            {
                data.ReadExactly(bytes);
            }
            catch (EndOfStreamException e)
            {
                throw new SpDnnDataException(_path, $"truncated archive inside {entry.Name}", inner: e);
            }
        }
        return bytes;
    }

    /// <summary>The next regular file entry, or null at the end of the archive; remembers the layers passed.</summary>
    private TarEntry? Next()
    {
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = _reader!.GetNextEntry();
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                throw new SpDnnDataException(_path, $"corrupt or truncated archive: {e.Message}", inner: e);
            }
            if (entry is null) return null;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            if (LayerFileName.Parse(entry.Name) is { } name) _passed.Add(name.Layer - 1);
            return entry;
        }
    }

    private void Restart()
    {
        _reader?.Dispose();
        _stream?.Dispose();
        _passed.Clear();
        _stream = InputFile.OpenRead(_path);
        _reader = new TarReader(_stream);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _reader?.Dispose();
            _stream?.Dispose();
            _reader = null;
            _stream = null;
        }
    }
}
