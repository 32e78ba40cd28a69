using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>A network in the SpDnn binary format: memory-mapped, any layer read directly through the index.</summary>
public sealed class BinaryNetworkSource : ILayerSource, IDisposable
{
    private readonly BinaryFileReader _file;
    private readonly float[]? _bias;

    /// <param name="layers">Use the first L layers (all by default).</param>
    /// <param name="bias">Replaces the stored per-neuron biases with this constant when given.</param>
    public BinaryNetworkSource(string path, int? layers = null, float? bias = null)
    {
        _file = new BinaryFileReader(path);
        try
        {
            if (_file.Header.Kind != BinaryKind.Network)
                throw new SpDnnDataException(path, $"holds {_file.Header.Kind.ToString().ToLowerInvariant()}, not a network", byteOffset: 12);
            if (_file.Header.Rows != _file.Header.Columns)
                throw new SpDnnDataException(path, "corrupt header (a network's layers must be square)", byteOffset: 16);
            int available = _file.SectionCount;
            LayerCount = layers ?? available;
            if (LayerCount < 1 || LayerCount > available)
                throw new SpDnnDataException(path, $"{LayerCount} layers requested, the file holds {available}");
            // Every layer has N rows (backed by its row offsets in the file) before anything of N's size is made.
            for (int k = 0; k < LayerCount; k++)
                if (_file.Section(k).Rows != Neurons)
                    throw new SpDnnDataException(path, $"layer {k + 1} has {_file.Section(k).Rows} rows, expected {Neurons}", byteOffset: _file.Section(k).Offset);
            if (bias is not null) _bias = NetworkLayer.ConstantBias(Neurons, NetworkBias.Resolve(path, Neurons, bias));
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public int Neurons => _file.Header.Columns;
    public int LayerCount { get; }
    public string Description => $"{_file.Path} (N={Neurons}, L={LayerCount})";

    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var (weights, storedBias) = _file.ReadSection(index);
        if (weights.Rows != Neurons)
            throw new SpDnnDataException(_file.Path, $"layer {index + 1} has {weights.Rows} rows, expected {Neurons}", byteOffset: _file.Section(index).Offset);
        var bias = _bias ?? storedBias ?? throw new SpDnnDataException(_file.Path, $"layer {index + 1} stores no bias", byteOffset: _file.Section(index).Offset);
        return new NetworkLayer(index, weights, bias);
    }

    public void Dispose() => _file.Dispose();
}
