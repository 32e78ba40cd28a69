using SpDnn.Engines;
using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>What every rank of a distributed inference needs.</summary>
public sealed record DistributedJob
{
    /// <summary>Opens the network on this rank (every rank reads the whole network: weights are replicated).</summary>
    public required Func<ILayerSource> OpenNetwork { get; init; }

    /// <summary>The images; each rank reads its slice (or all, when the format cannot do otherwise).</summary>
    public required IImageInput Images { get; init; }

    /// <summary>Makes this rank's engine; gets the communicator so a GPU engine can take the GPU of its local rank.</summary>
    public required Func<ICommunicator, IInferenceEngine> CreateEngine { get; init; }

    /// <summary>Passed to every rank's engine as given, for planning and execution alike.</summary>
    public InferenceOptions Options { get; init; } = InferenceOptions.Default;
}
