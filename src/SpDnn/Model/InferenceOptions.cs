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

    /// <summary>Worker threads for CPU engines; 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>No progress, no cancellation, float32, all cores.</summary>
    public static InferenceOptions Default { get; } = new();
}
