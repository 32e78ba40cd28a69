namespace SpDnn.Engines.Gpu;

/// <summary>
/// A grid barrier of the layer program gave up: not every group of the launch could be resident
/// at once (the device is shared, or it holds fewer groups than its occupancy figure said).
/// The batch's results are void; it can be run again with fewer groups.
/// </summary>
public sealed class GridBarrierTimeoutException(int groups, TimeSpan timeout)
    : InvalidOperationException(
        $"The GPU could not run all {groups} groups of the layer program at once (a grid barrier waited over " +
        $"{timeout.TotalSeconds:0.###} s): is another process or an MPS client using the device?")
{
    /// <summary>Groups the failed launches had at most.</summary>
    public int Groups { get; } = groups;
}
