namespace SpDnn.Model;

/// <summary>Arithmetic of the reference engine.</summary>
public enum Precision
{
    Single,
    Double,
}

/// <summary>How an engine runs; every engine honours the common part.</summary>
public sealed record InferenceOptions
{
    /// <summary>Keep the final rows of the surviving images in the result (for checks).</summary>
    public bool KeepFinalFeatures { get; init; }

    /// <summary>Reports the number of layers done.</summary>
    public IProgress<int>? Progress { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>Reference engine only: float32 (challenge semantics) or float64.</summary>
    public Precision Precision { get; init; } = Precision.Single;

    /// <summary>Worker threads for CPU engines; 0 means all cores.</summary>
    public int Threads { get; init; }

    public static InferenceOptions Default { get; } = new();
}
