namespace SpDnn.Model;

/// <summary>Arithmetic of the reference engine.</summary>
public enum Precision
{
    /// <summary>float32, as the challenge specifies and every engine computes.</summary>
    Single,
    /// <summary>float64, to measure how far float32 rounding moves the answer.</summary>
    Double,
}

/// <summary>How an engine runs; every engine honours the common part.</summary>
public sealed record InferenceOptions
{
    /// <summary>Keep the final rows of the surviving images in the result (for checks).</summary>
    public bool KeepFinalFeatures { get; init; }

    /// <summary>Reports the number of layers done.</summary>
    public IProgress<int>? Progress { get; init; }

    /// <summary>Stops the run between layers (the engines check it once per layer or chunk of layers).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Reference engine only: float32 (challenge semantics) or float64.</summary>
    public Precision Precision { get; init; } = Precision.Single;

    /// <summary>Worker threads for CPU engines (and the GPU engine's planning); 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// A folder where engines that can keep their planned layouts do so (the GPU engine): a plan
    /// is stored there keyed by the network's content and the engine's settings, and a later
    /// <c>Plan</c> of the same network with the same settings reads it instead of planning.
    /// Null: plan every time.
    /// </summary>
    public string? PlanCacheFolder { get; init; }

    /// <summary>Receives one-line notes for the user (a plan cache found damaged or stale and planned again, or not written).</summary>
    public Action<string>? Note { get; init; }

    /// <summary>No progress, no cancellation, float32, all cores.</summary>
    public static InferenceOptions Default { get; } = new();
}
