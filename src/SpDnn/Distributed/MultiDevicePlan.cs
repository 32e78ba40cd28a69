using SpDnn.Engines;

namespace SpDnn.Distributed;

/// <summary>
/// One plan per device (plans live on their device), or two when live images are re-balanced:
/// one for the layers before the re-balance and one for those after.
/// </summary>
internal sealed class MultiDevicePlan : IEnginePlan
{
    internal MultiDevicePlan(MultiDeviceEngine owner, int neurons, int layers, int rebalanceAfter,
        IEnginePlan[] head, IEnginePlan[]? tail, double planningSeconds)
    {
        Owner = owner;
        Neurons = neurons;
        LayerCount = layers;
        RebalanceAfter = rebalanceAfter;
        Head = head;
        Tail = tail;
        PlanningSeconds = planningSeconds;
        Weights = head[0].Weights < 0 || (tail is not null && tail[0].Weights < 0)
            ? -1
            : head[0].Weights + (tail?[0].Weights ?? 0);
    }

    internal MultiDeviceEngine Owner { get; }

    /// <summary>Layers run before live images are re-balanced; 0 when they are not.</summary>
    public int RebalanceAfter { get; }

    /// <summary>Per device: all layers, or layers [0, RebalanceAfter) when re-balancing.</summary>
    internal IEnginePlan[] Head { get; }

    /// <summary>Per device: layers [RebalanceAfter, L) when re-balancing, else null.</summary>
    internal IEnginePlan[]? Tail { get; }

    public int Neurons { get; }
    public int LayerCount { get; }
    public long Weights { get; }
    public double PlanningSeconds { get; }

    public void Dispose()
    {
        foreach (var p in Head) p.Dispose();
        if (Tail is not null) foreach (var p in Tail) p.Dispose();
    }
}
