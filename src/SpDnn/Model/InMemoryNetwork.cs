namespace SpDnn.Model;

/// <summary>A network whose layers are all held in memory.</summary>
public sealed class InMemoryNetwork : ILayerSource
{
    private readonly NetworkLayer[] _layers;

    public InMemoryNetwork(IReadOnlyList<NetworkLayer> layers, string description = "in-memory network")
    {
        if (layers.Count == 0) throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        int n = layers[0].Neurons;
        for (int k = 0; k < layers.Count; k++)
        {
            var w = layers[k].Weights;
            if (w.Rows != n || w.Columns != n)
                throw new ArgumentException($"Layer {k + 1} is {w.Rows} x {w.Columns}, expected {n} x {n}.", nameof(layers));
            if (layers[k].Bias.Length != n)
                throw new ArgumentException($"Layer {k + 1} has {layers[k].Bias.Length} biases, expected {n}.", nameof(layers));
        }
        _layers = [.. layers];
        Description = description;
    }

    public int Neurons => _layers[0].Neurons;
    public int LayerCount => _layers.Length;
    public string Description { get; }
    public NetworkLayer GetLayer(int index) => _layers[index];

    /// <summary>Reads every layer of <paramref name="source"/> into memory (in parallel).</summary>
    public static InMemoryNetwork Load(ILayerSource source)
    {
        var layers = new NetworkLayer[source.LayerCount];
        Parallel.For(0, layers.Length, k => layers[k] = source.GetLayer(k));
        return new InMemoryNetwork(layers, source.Description);
    }

    /// <summary>The first <paramref name="count"/> layers.</summary>
    public InMemoryNetwork Take(int count) => new(_layers[..count], Description);
}
