using SpDnn.Model;

namespace SpDnn.Engines;

/// <summary>
/// One interface for every engine. Planning (turning a network into the engine's own layout)
/// is separate from executing a plan on images, so plans can be built ahead, cached and reused,
/// and so the timed inference excludes them.
/// </summary>
public interface IInferenceEngine : IDisposable
{
    /// <summary>Short name used on the command line and in reports ("reference", "cpu", "gpu").</summary>
    string Name { get; }

    /// <summary>
    /// Whether the engine runs general networks (any shapes, <see cref="LayerForm"/>s and
    /// <see cref="ReadOut"/>s) and not only the challenge's form; <see cref="EngineExtensions.Infer"/>
    /// refuses a general network for an engine without it.
    /// </summary>
    bool RunsGeneralForm => false;

    /// <summary>
    /// Whether the engine reads a network's layers only while planning, each once, in parallel
    /// (its runs never ask for a layer): a caller whose network is in a file with random access
    /// need not read it into memory first, and reading then overlaps planning.
    /// </summary>
    bool ReadsLayersOnlyWhilePlanning => false;

    /// <summary>Prepares <paramref name="network"/> for this engine.</summary>
    IEnginePlan Plan(ILayerSource network, InferenceOptions options);

    /// <summary>Runs <paramref name="images"/> through a plan made by this engine.</summary>
    InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options);
}

/// <summary>A network prepared for one engine.</summary>
public interface IEnginePlan : IDisposable
{
    /// <summary>Input width of the planned network.</summary>
    int Neurons { get; }
    /// <summary>Number of layers planned.</summary>
    int LayerCount { get; }
    /// <summary>Nonzero weights over all planned layers: with the image count, the edges of the TE/s rate.</summary>
    long Weights { get; }
    /// <summary>Seconds the plan took to build, reported apart from the inference time.</summary>
    double PlanningSeconds { get; }
}
