using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// A network stored as a folder of layer files <c>n{N}-l{k}.tsv</c> (or .tsv.gz, .mtx, .mtx.gz),
/// or a folder holding the official <c>neuron{N}/</c> subfolder. N comes from the file names;
/// each layer is read when asked for, so any number of threads can read different layers at once.
/// </summary>
internal sealed class LayerFolderSource : ILayerSource
{
    private readonly string[] _files;
    private readonly float[] _bias;

    /// <param name="layers">Use the first L layers; by default all, and then a missing layer between 1 and the last is an error.</param>
    /// <param name="bias">Constant bias; the challenge's value for N by default.</param>
    public LayerFolderSource(string folder, int? layers = null, float? bias = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such folder");
        var found = Scan(folder);
        if (found.Count == 0)
        {
            var sub = Directory.GetDirectories(folder).Where(d => LayerFileName.NeuronsFromFolder(d) is not null).Order().ToArray();
            if (sub.Length == 1)
            {
                folder = sub[0];
                found = Scan(folder);
            }
        }
        if (found.Count == 0)
            throw new SpDnnDataException(folder, $"no layer files (expected n{{N}}-l{{k}} with {string.Join(", ", DataFormats.LayerFileExtensions)} or a neuron{{N}}/ subfolder)");
        Folder = folder;
        Neurons = found.Values.First().Neurons;
        foreach (var (k, file) in found)
            if (file.Neurons != Neurons)
                throw new SpDnnDataException(file.Path, $"wrong N: the name says N={file.Neurons} but {Path.GetFileName(found[found.Keys.Min()].Path)} says N={Neurons}");
        int available = 0;
        while (found.ContainsKey(available + 1)) available++;
        // Without --layers the network is every layer the folder names: a gap is an error, not a shorter network.
        int count = layers ?? found.Keys.Max();
        for (int k = 1; k <= count; k++)
            if (!found.ContainsKey(k))
                throw new SpDnnDataException(Path.Combine(folder, LayerFileName.Format(Neurons, k)), layers is null
                    ? $"missing layer file: the folder has layers up to {count} (--layers {available} uses the first {available})"
                    : $"missing layer file ({count} layers requested, the folder has layers 1..{available})");
        _files = [.. Enumerable.Range(1, count).Select(k => found[k].Path)];
        // N sizes the bias and every layer's row offsets: it must be in proportion to the data before they exist.
        SizeLimits.CheckRows(_files[0], Neurons, InputFile.MaxEntries(_files[0]), $"N={Neurons} from the file name", "neurons");
        _bias = NetworkLayer.ConstantBias(Neurons, NetworkBias.Resolve(folder, Neurons, bias));
    }

    public string Folder { get; }
    public int Neurons { get; }
    public int LayerCount => _files.Length;
    public float Bias => _bias[0];
    public string Description => $"{Folder} (N={Neurons}, L={LayerCount})";

    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        return new NetworkLayer(index, LayerFile.Read(_files[index], Neurons), _bias);
    }

    private static Dictionary<int, (int Neurons, string Path)> Scan(string folder)
    {
        var found = new Dictionary<int, (int Neurons, string Path)>();
        // Preference when one layer exists in several forms: the formats' order in the table.
        var order = DataFormats.LayerFileExtensions;
        int Rank(string path)
        {
            for (int i = 0; i < order.Count; i++)
                if (path.EndsWith(order[i], StringComparison.OrdinalIgnoreCase)) return i;
            return order.Count;
        }
        foreach (var path in Directory.EnumerateFiles(folder).OrderBy(Rank))
        {
            if (LayerFileName.Parse(path) is not { } name) continue;
            found.TryAdd(name.Layer, (name.Neurons, path));
        }
        return found;
    }
}
