namespace SpDnn.Model;

/// <summary>The outcome of one inference run, with everything reports need.</summary>
public sealed record InferenceResult
{
    /// <summary>Name of the engine that ran, with its settings (e.g. <c>cpu:simd=vector256</c>).</summary>
    public required string Engine { get; init; }
    /// <summary>Input width of the network.</summary>
    public required int Neurons { get; init; }
    /// <summary>Number of layers run.</summary>
    public required int Layers { get; init; }
    /// <summary>Number of images in the batch, surviving or not.</summary>
    public required int Images { get; init; }

    /// <summary>Total nonzero weights over all layers.</summary>
    public required long Weights { get; init; }

    /// <summary>1-based numbers of the images whose final row has a nonzero, ascending.</summary>
    public required int[] Categories { get; init; }

    /// <summary>With a <see cref="ReadOut.Class"/> network: the class of every image (batch row order), 0-based.</summary>
    public int[]? Classes { get; init; }

    /// <summary>
    /// With a <see cref="ReadOut.Class"/> network and <see cref="InferenceOptions.KeepFinalFeatures"/>: the final
    /// outputs of every image, dense, row-major (images x outputs).
    /// </summary>
    public float[]? Logits { get; init; }

    /// <summary>Seconds spent turning the network into the engine's layout (not in TE/s).</summary>
    public double PlanningSeconds { get; init; }

    /// <summary>Seconds of inference proper (reading, planning and <see cref="UploadSeconds"/> excluded; <see cref="PlanWaitSeconds"/> included).</summary>
    public required double InferenceSeconds { get; init; }

    /// <summary>
    /// Seconds spent putting the images into the engine's working memory before its timed run,
    /// outside <see cref="InferenceSeconds"/> (GPU: copying the images to the device and
    /// expanding them into its feature buffer, every batch; CPU: setting up the working rows; reference: converting
    /// the images to its rows); 0 where an engine does it inside the timed run (several GPUs in one process).
    /// </summary>
    public double UploadSeconds { get; init; }

    /// <summary>
    /// Seconds of <see cref="InferenceSeconds"/> spent waiting for layer plans still being built
    /// (plans streamed or built while earlier layers run); 0 when every plan was ready.
    /// </summary>
    public double PlanWaitSeconds { get; init; }

    /// <summary>Upload and inference: from the images in host memory to the answer, planning excluded.</summary>
    public double EndToEndSeconds => UploadSeconds + InferenceSeconds;

    /// <summary>Per layer: live images, distinct rows and, when timed, seconds; empty when the engine does not report them.</summary>
    public IReadOnlyList<LayerStatistics> LayerStatistics { get; init; } = [];

    /// <summary>Final rows of the surviving images (row i is image Categories[i]), when asked for.</summary>
    public CsrMatrix? FinalFeatures { get; init; }

    /// <summary>Free-form engine details (kernel choices, padding, device), for reports.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>The challenge's edge count: images x total weights.</summary>
    public double Edges => (double)Images * Weights;

    /// <summary>The challenge's rate, <see cref="Edges"/> per inference second, in units of 10^12; 0 for an unmeasured run.</summary>
    public double TeraEdgesPerSecond => InferenceSeconds > 0 ? Edges / InferenceSeconds / 1e12 : 0;
}
