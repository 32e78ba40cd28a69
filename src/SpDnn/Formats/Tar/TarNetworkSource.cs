using System.Formats.Tar;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// A network read straight from the downloaded <c>neuron{N}.tar.gz</c> (or a plain .tar) without
/// extracting it. A compressed archive can only be read front to back, so one reader walks it
/// under a lock: asking for the layers in order costs one pass; layers met on the way to the one
/// asked for are kept (within a memory budget) for the requests that follow, which makes any
/// entry order cheap; a layer already passed restarts the walk.
/// <para>
/// A small entry (one parse block or less) is kept as raw bytes and parsed outside the lock, so
/// threads asking for different layers parse them in parallel. A larger one is parsed as it is
/// decompressed (its blocks in parallel), never held whole as text: memory follows the entries
/// parsed, and an entry of a few megabytes of gzip that expands to gigabytes of zeros or blank
/// lines stops at its first long line or after the data ends.
/// </para>
/// </summary>
internal sealed class TarNetworkSource : ILayerSource, IDisposable
{
    // Entries up to this size are copied whole and parsed outside the lock (one parse block of CoordinateText).
    private const long SmallEntryBytes = 4 << 20;

    private readonly object _gate = new();
    private readonly string _path;
    private readonly long _archiveBound;
    private readonly long _cacheBudget;
    private readonly Dictionary<int, KeptLayer> _cache = [];
    private readonly HashSet<int> _passed = [];
    private readonly float[] _bias;
    private long _cached;
    private Stream? _stream;
    private TarReader? _reader;

    /// <summary>A layer met before it was asked for: raw bytes (small entries) or already parsed.</summary>
    private sealed record KeptLayer(string Name, byte[]? Raw, CsrMatrix? Parsed, long Bytes);

    /// <param name="layers">Use the first L layers; by default one pass over the archive counts them, and then a
    /// missing or non-regular layer between 1 and the last is an error.</param>
    /// <param name="bias">Constant bias; the challenge's value for N by default.</param>
    /// <param name="cacheBudgetBytes">Layers kept for later requests at most (raw bytes or parsed arrays).</param>
    public TarNetworkSource(string path, int? layers = null, float? bias = null, long cacheBudgetBytes = 1L << 30)
    {
        _path = path;
        _cacheBudget = cacheBudgetBytes;
        // What the archive's bytes can expand to: bounds every size its headers declare.
        long length = new FileInfo(path).Length;
        _archiveBound = InputFile.IsGzip(path) ? length * SizeLimits.MaxDeflateRatio : length;
        Restart();
        LayerCount = layers ?? int.MaxValue;
        if (layers is null)
        {
            LayerCount = Survey();
        }
        else
        {
            // N from the first layer entry, which stays kept for the first request.
            while (Next() is { } entry)
            {
                if (LayerFileName.Parse(entry.Name) is not { } name) continue;
                Neurons = name.Neurons;
                CheckNeurons(entry);
                if (name.Layer - 1 < LayerCount) Keep(name.Layer - 1, entry);
                break;
            }
        }
        if (Neurons == 0) throw new SpDnnDataException(path, "the archive holds no layer files (expected n{N}-l{k}.tsv entries)");
        _bias = NetworkLayer.ConstantBias(Neurons, NetworkBias.Resolve(path, Neurons, bias));
    }

    public int Neurons { get; private set; }
    public int LayerCount { get; }
    public float Bias => _bias[0];
    public string Description => $"{_path} (N={Neurons}, L={LayerCount})";

    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var layer = Fetch(index);
        var weights = layer.Parsed ?? LayerFile.Read(layer.Raw!, layer.Name, Neurons);
        return new NetworkLayer(index, weights, _bias);
    }

    private KeptLayer Fetch(int index)
    {
        lock (_gate)
        {
            if (_cache.Remove(index, out var hit))
            {
                _cached -= hit.Bytes;
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
                        throw new SpDnnDataException(EntryName(entry), $"wrong N: the name says N={name.Neurons}, the archive's first layer N={Neurons}");
                    if (k == index) return Take(entry);
                    if (k > index && k < LayerCount && !_cache.ContainsKey(k)) Keep(k, entry);
                }
                if (!_passed.Contains(index) || restarted)
                    throw new SpDnnDataException(_path, $"missing layer {LayerFileName.Format(Neurons, index + 1)} in the archive");
            }
        }
    }

    /// <summary>
    /// One pass over the whole archive: N, and the layer count as the largest layer named, every
    /// layer up to it present as a regular file. Layers met are kept within the budget.
    /// </summary>
    private int Survey()
    {
        var present = new HashSet<int>();
        int last = 0;
        while (Next() is { } entry)
        {
            if (LayerFileName.Parse(entry.Name) is not { } name) continue;
            if (Neurons == 0)
            {
                Neurons = name.Neurons;
                CheckNeurons(entry);
            }
            else if (name.Neurons != Neurons)
            {
                throw new SpDnnDataException(EntryName(entry), $"wrong N: the name says N={name.Neurons}, the archive's first layer N={Neurons}");
            }
            present.Add(name.Layer);
            last = Math.Max(last, name.Layer);
            if (!_cache.ContainsKey(name.Layer - 1)) Keep(name.Layer - 1, entry);
        }
        for (int k = 1; k <= last; k++)
            if (!present.Contains(k))
            {
                int run = 0;
                while (present.Contains(run + 1)) run++;
                throw new SpDnnDataException(_path,
                    $"missing layer {LayerFileName.Format(Neurons, k)} in the archive, which has layers up to {last} (--layers {run} uses the first {run})");
            }
        return last;
    }

    // N sizes the bias and every layer's row offsets: in proportion to what the entry can hold, before they exist.
    private void CheckNeurons(TarEntry entry) =>
        SizeLimits.CheckRows(EntryName(entry), Neurons, MaxEntries(entry), $"N={Neurons} from the entry name", "neurons");

    private long MaxEntries(TarEntry entry) => SizeLimits.MaxEntries(Math.Min(entry.Length, _archiveBound), gzip: false);

    private string EntryName(TarEntry entry) => $"{_path}:{entry.Name}";

    /// <summary>Keeps a layer met before it is asked for, when the budget allows.</summary>
    private void Keep(int layer, TarEntry entry)
    {
        // Parsed arrays take about half the text's bytes: skip what cannot fit before reading it.
        if (_cached + (entry.Length <= SmallEntryBytes ? entry.Length : entry.Length / 2) > _cacheBudget) return;
        var kept = Take(entry);
        if (_cached + kept.Bytes > _cacheBudget) return;
        _cache[layer] = kept;
        _cached += kept.Bytes;
    }

    /// <summary>The entry's layer: small entries as raw bytes, larger ones parsed from the archive stream.</summary>
    private KeptLayer Take(TarEntry entry)
    {
        string name = EntryName(entry);
        if (entry.DataStream is not { } data || entry.Length == 0) return new KeptLayer(name, [], null, 0);
        if (entry.Length <= SmallEntryBytes)
        {
            var bytes = GC.AllocateUninitializedArray<byte>((int)entry.Length);
            try
            {
                data.ReadExactly(bytes);
            }
            catch (EndOfStreamException e)
            {
                throw new SpDnnDataException(_path, $"truncated archive inside {entry.Name}", inner: e);
            }
            return new KeptLayer(name, bytes, null, bytes.Length);
        }
        var weights = LayerFile.Read(data, name, Neurons, MaxEntries(entry));
        return new KeptLayer(name, null, weights, 8 * weights.NonZeros + 4L * (weights.Rows + 1));
    }

    /// <summary>
    /// The next regular file entry, or null at the end of the archive; remembers the layers passed.
    /// An entry named as a layer that is not a regular file (a link, a folder) is an error when that
    /// layer is part of the network.
    /// </summary>
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
            var name = LayerFileName.Parse(entry.Name);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                if (name is { } layer && layer.Layer <= LayerCount)
                    throw new SpDnnDataException(EntryName(entry), $"is a {Describe(entry.EntryType)}, not a regular file: layer {layer.Layer} cannot be read from it");
                continue;
            }
            if (name is { } passed) _passed.Add(passed.Layer - 1);
            return entry;
        }
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.Directory => "folder",
        _ => $"{type} entry",
    };

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
