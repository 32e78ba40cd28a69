namespace SpDnn.Cli.Infer;

/// <summary>Everything <c>spdnn infer</c> was asked to do, independent of how the options were spelled.</summary>
public sealed record InferRequest
{
    /// <summary>The network's file or folder; for a generated network (<see cref="GeneratedNetwork"/>), what it is.</summary>
    public required string Network { get; init; }
    /// <summary>Makes the network when it is generated rather than read (the default dataset); null: read <see cref="Network"/>.</summary>
    public Func<SpDnn.Model.ILayerSource>? GeneratedNetwork { get; init; }
    public required string Images { get; init; }
    /// <summary>Use the first L layers; all by default.</summary>
    public int? Layers { get; init; }
    /// <summary>Constant bias; the challenge's value for N by default.</summary>
    public float? Bias { get; init; }
    public string? Truth { get; init; }
    public string Engine { get; init; } = Engines.EngineFactory.Auto;
    public string? CategoriesOut { get; init; }
    public bool Json { get; init; }
    /// <summary>Worker threads; 0 means all cores.</summary>
    public int Threads { get; init; }
    /// <summary>GPUs to use: all, a count, or a list of device numbers; null for one.</summary>
    public string? Gpus { get; init; }
    /// <summary>With several GPUs in one process, re-split the live images after this many layers; 0 never.</summary>
    public int RebalanceAfter { get; init; }
    /// <summary>Labels of the images (IDX or one class per line), for a model with a class read-out: accuracy and per-class counts.</summary>
    public string? Labels { get; init; }
    /// <summary>Write the predicted class of every image, one per line.</summary>
    public string? PredictionsOut { get; init; }
    /// <summary>Folder of planned-layout caches (<see cref="SpDnn.Model.InferenceOptions.PlanCacheFolder"/>); null: plan every time.</summary>
    public string? PlanCache { get; init; }
    /// <summary>The network: made, or opened from its file (dispose it when done: some sources hold files open).</summary>
    public SpDnn.Model.ILayerSource OpenNetwork() =>
        GeneratedNetwork is { } generate ? generate() : SpDnn.Formats.NetworkLoader.Open(Network, Layers, Bias);

    /// <summary>Started when the command began (before any data was made or read): the time to answer runs from it.</summary>
    public AnswerClock Clock { get; init; } = new();
    /// <summary>
    /// The images of <see cref="Images"/> when the command reads them already (the generated dataset's,
    /// read on another thread while the engine opens and plans, or made before).
    /// </summary>
    public Task<SpDnn.Model.ImageBatch>? LoadingImages { get; init; }
}
