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
    /// <see cref="ReadOut"/>s) and not only the challenge's form; callers check with
    /// <see cref="NetworkFormCheck.EnsureRuns"/> before planning.
    /// </summary>
    bool RunsGeneralForm => false;

    /// <summary>Prepares <paramref name="network"/> for this engine.</summary>
    IEnginePlan Plan(ILayerSource network, InferenceOptions options);

    /// <summary>Runs <paramref name="images"/> through a plan made by this engine.</summary>
    InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options);
}

/// <summary>A network prepared for one engine.</summary>
public interface IEnginePlan : IDisposable
{
    int Neurons { get; }
    int LayerCount { get; }
    long Weights { get; }
    double PlanningSeconds { get; }
}
