using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>Combines the results of devices (or ranks) that ran disjoint sets of images through the same layers.</summary>
internal static class ResultMerger
{
    /// <summary>
    /// Per layer: live images summed; distinct rows summed (rows identical across devices are
    /// counted once per device, so this is an upper bound of the global distinct count; -1 if
    /// any device did not measure); seconds = the slowest device. Layer numbers are shifted by
    /// <paramref name="layerOffset"/> (the part ran layers after the first ones).
    /// </summary>
    public static List<LayerStatistics> MergeLayers(IEnumerable<IReadOnlyList<LayerStatistics>> perDevice, int layerOffset = 0)
    {
        var merged = new SortedDictionary<int, LayerStatistics>();
        foreach (var device in perDevice)
        {
            foreach (var s in device)
            {
                int layer = s.Layer + layerOffset;
                merged[layer] = merged.TryGetValue(layer, out var m)
                    ? new LayerStatistics(layer, m.LiveImages + s.LiveImages,
                        m.DistinctRows < 0 || s.DistinctRows < 0 ? -1 : m.DistinctRows + s.DistinctRows,
                        Math.Max(m.Seconds, s.Seconds))
                    : s with { Layer = layer };
            }
        }
        return [.. merged.Values];
    }

    /// <summary>Categories of parts that hold ascending, disjoint ranges of images, in part order (stays ascending).</summary>
    public static int[] ConcatenateCategories(IEnumerable<InferenceResult> parts)
    {
        var all = parts.SelectMany(p => p.Categories).ToArray();
        for (int i = 1; i < all.Length; i++)
            if (all[i] <= all[i - 1])
                throw new InvalidOperationException($"Merged categories are not ascending ({all[i - 1]} then {all[i]}): the parts overlap or are out of order.");
        return all;
    }
}
