namespace SpDnn.Model;

/// <summary>A network whose layers are all held in memory.</summary>
public sealed class InMemoryNetwork : ILayerSource
{
    private readonly NetworkLayer[] _layers;

    /// <param name="readOut">How the answer is read; the challenge's nonzero rows by default.</param>
    public InMemoryNetwork(IReadOnlyList<NetworkLayer> layers, string description = "in-memory network", ReadOut readOut = ReadOut.NonzeroRows)
    {
        if (layers.Count == 0) throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        int width = layers[0].Inputs;
        int widest = width;
        for (int k = 0; k < layers.Count; k++)
        {
            var w = layers[k].Weights;
            if (w.Rows != width)
                throw new ArgumentException($"Layer {k + 1} is {w.Rows} x {w.Columns}, expected {width} inputs (the {(k == 0 ? "first layer's" : $"outputs of layer {k}")}).", nameof(layers));
            if (layers[k].Bias.Length != w.Columns)
                throw new ArgumentException($"Layer {k + 1} has {layers[k].Bias.Length} biases, expected {w.Columns}.", nameof(layers));
            width = w.Columns;
            widest = Math.Max(widest, width);
        }
        _layers = [.. layers];
        Description = description;
        ReadOut = readOut;
        MaxWidth = widest;
        IsChallengeForm = readOut == ReadOut.NonzeroRows && _layers.All(l => l.IsChallengeForm);
    }

    /// <inheritdoc/>
    public int Neurons => _layers[0].Inputs;
    /// <inheritdoc/>
    public int LayerCount => _layers.Length;
    /// <inheritdoc/>
    public string Description { get; }
    /// <inheritdoc/>
    public ReadOut ReadOut { get; }
    /// <inheritdoc/>
    public int MaxWidth { get; }
    /// <inheritdoc/>
    public int Outputs => _layers[^1].Neurons;
    /// <inheritdoc/>
    public bool IsChallengeForm { get; }
    /// <inheritdoc/>
    public NetworkLayer GetLayer(int index) => _layers[index];

    /// <summary>The checksum of the source the layers were read from, when it knew one.</summary>
    internal UInt128? KnownChecksum { get; init; }

    /// <summary>Reads every layer of <paramref name="source"/> into memory (in parallel).</summary>
    public static InMemoryNetwork Load(ILayerSource source)
    {
        var layers = new NetworkLayer[source.LayerCount];
        Parallel.For(0, layers.Length, k => layers[k] = source.GetLayer(k));
        return new InMemoryNetwork(layers, source.Description, source.ReadOut) { KnownChecksum = NetworkChecksum.Known(source) };
    }

    /// <summary>The first <paramref name="count"/> layers.</summary>
    public InMemoryNetwork Take(int count) => new(_layers[..count], Description, ReadOut);
}
