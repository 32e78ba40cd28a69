using SpDnn.Model;

namespace SpDnn.Engines;

/// <summary>The one-call way to run an engine, for callers that do not keep plans.</summary>
public static class EngineExtensions
{
    /// <summary>Plans and executes in one call; the result carries both times.</summary>
    public static InferenceResult Infer(this IInferenceEngine engine, ILayerSource network, ImageBatch images, InferenceOptions? options = null)
    {
        options ??= InferenceOptions.Default;
        if (images.Neurons != network.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {network.Neurons} neurons.");
        NetworkFormCheck.EnsureRuns(engine, network);
        using var plan = engine.Plan(network, options);
        var result = engine.Execute(plan, images, options);
        return result with { PlanningSeconds = plan.PlanningSeconds };
    }
}
