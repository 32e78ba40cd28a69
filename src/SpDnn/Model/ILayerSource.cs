namespace SpDnn.Model;

/// <summary>
/// A network as a stream of layers: files, archives, the binary format and the generators all
/// implement it, so a network never has to be held whole in memory. Sources that hold files open
/// (the binary format, tar archives) release them on <see cref="IDisposable.Dispose"/>; for the
/// others disposing does nothing, so <c>using var network = NetworkLoader.Open(path)</c> fits all.
/// </summary>
public interface ILayerSource : IDisposable
{
    /// <summary>Features of each input image: the first layer's inputs (N for the challenge's square networks).</summary>
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

    /// <summary>The widest input or output of any layer: what engines size their row buffers by (N for square networks).</summary>
    int MaxWidth => Neurons;

    /// <summary>Outputs of the last layer (N for square networks).</summary>
    int Outputs => Neurons;

    /// <summary>How the answer is read from the final rows.</summary>
    ReadOut ReadOut => ReadOut.NonzeroRows;

    /// <summary>
    /// Whether every layer is the challenge's form (square, ReLU capped at 32, bias only on
    /// nonzero sums) and the answer is the nonzero rows: what engines that run only that form
    /// need (<see cref="Engines.NetworkFormCheck"/>). Sources that can hold other layers say so.
    /// </summary>
    bool IsChallengeForm => true;

    /// <summary>Nothing to release unless the source says otherwise.</summary>
    void IDisposable.Dispose()
    {
    }
}
