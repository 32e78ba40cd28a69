namespace SpDnn.Model;

/// <summary>
/// A layer source that makes each layer's weights by output neuron as well (<see cref="NetworkLayer.ByOutput"/>)
/// for much less than a transpose costs: the generators, whose structure or drawing order gives
/// each output's inputs directly. Planners that lay a layer out by output ask for it; a
/// 65536-neuron challenge layer's transpose was about 60% of its GPU plan.
/// </summary>
internal interface IOutputListLayerSource : ILayerSource
{
    /// <summary><see cref="ILayerSource.GetLayer"/> with <see cref="NetworkLayer.ByOutput"/> set, into <paramref name="recycled"/>'s arrays (both orders) where their lengths fit.</summary>
    /// <param name="index">0-based layer index.</param>
    /// <param name="recycled">A layer this source gave out before and that nothing reads any more (null: none).
    /// Its arrays may be overwritten; it must not be read afterwards.</param>
    NetworkLayer GetLayerWithOutputs(int index, NetworkLayer? recycled = null);
}

/// <summary>Reading layers for planners that lay them out by output.</summary>
internal static class OutputListLayers
{
    /// <summary>Layer <paramref name="index"/>, with its weights by output where the source makes them cheaply (fresh arrays).</summary>
    public static NetworkLayer GetLayerForOutputs(this ILayerSource source, int index) =>
        source is IOutputListLayerSource withOutputs ? withOutputs.GetLayerWithOutputs(index) : source.GetLayer(index);
}
