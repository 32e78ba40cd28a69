namespace SpDnn.Model;

/// <summary>
/// A network as a stream of layers: files, archives, the binary format and the generators all
/// implement it, so a network never has to be held whole in memory.
/// </summary>
public interface ILayerSource
{
    /// <summary>Neurons per layer (N).</summary>
    int Neurons { get; }

    /// <summary>Number of layers (L).</summary>
    int LayerCount { get; }

    /// <summary>Where the layers come from, for messages and reports.</summary>
    string Description { get; }

    /// <summary>
    /// Layer <paramref name="index"/> (0-based). Must be safe to call from several threads at
    /// once for different indices, so engines can plan layers in parallel.
    /// </summary>
    NetworkLayer GetLayer(int index);
}
