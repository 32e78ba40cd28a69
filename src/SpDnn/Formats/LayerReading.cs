using System.Collections.Concurrent;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>Reads many layers of a source on several threads.</summary>
internal static class LayerReading
{
    /// <summary>
    /// Calls <paramref name="action"/> for layers <paramref name="from"/>..L−1 in parallel, handing
    /// the indices out one at a time in ascending order: a source that can only be read front to
    /// back (a tar.gz) then sees requests close to file order and keeps little read ahead, while
    /// parsing still runs on every core.
    /// </summary>
    public static void ForEach(ILayerSource source, Action<int, NetworkLayer> action, int from = 0, CancellationToken cancellation = default)
    {
        if (from >= source.LayerCount) return;
        var order = Partitioner.Create(from, source.LayerCount, 1);
        Parallel.ForEach(order, new ParallelOptions { CancellationToken = cancellation }, range =>
        {
            for (int k = range.Item1; k < range.Item2; k++) action(k, source.GetLayer(k));
        });
    }
}
