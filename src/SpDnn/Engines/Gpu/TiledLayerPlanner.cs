using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>Turns a layer (CSR by input neuron) into the warp-sliced ELL layout of <see cref="TiledLayer"/>.</summary>
public static class TiledLayerPlanner
{
    public static TiledLayer Plan(NetworkLayer layer)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows != n) throw new ArgumentException($"Layer {layer.Index + 1} is not square ({w.Rows} x {n}).");
        // Rows of the transpose are output neurons, each listing its inputs in ascending order.
        var t = w.Transpose();
        int blocks = (n + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        var blockStages = new int[blocks + 1];
        var stageStarts = new List<int>(blocks * 2 + 1) { 0 };
        var footprint = new List<int>();
        var warpRows = new List<int>(blocks * 2 * TiledLayout.WarpsPerBlock + 1) { 0 };
        var position = new int[n];          // input neuron -> index in the block's footprint
        var scratch = new List<int>(TiledLayout.BlockRows * 64);

        // Pass 1: footprints, stages and warp row counts.
        for (int b = 0; b < blocks; b++)
        {
            int first = b * TiledLayout.BlockRows, last = Math.Min(n, first + TiledLayout.BlockRows);
            scratch.Clear();
            for (int j = first; j < last; j++) foreach (int i in t.RowIndices(j)) scratch.Add(i);
            scratch.Sort();
            int footBase = footprint.Count;
            for (int e = 0; e < scratch.Count; e++)
            {
                if (e > 0 && scratch[e] == scratch[e - 1]) continue;
                position[scratch[e]] = footprint.Count - footBase;
                footprint.Add(scratch[e]);
            }
            int footLength = footprint.Count - footBase;
            int stages = (footLength + TiledLayout.StageEntries - 1) / TiledLayout.StageEntries;
            blockStages[b + 1] = blockStages[b] + stages;
            for (int s = 0; s < stages; s++)
            {
                stageStarts.Add(footBase + Math.Min(footLength, (s + 1) * TiledLayout.StageEntries));
                for (int wp = 0; wp < TiledLayout.WarpsPerBlock; wp++)
                {
                    int longest = 0;
                    for (int lane = 0; lane < TiledLayout.WarpSize; lane++)
                    {
                        int j = first + wp * TiledLayout.WarpSize + lane;
                        if (j < last) longest = Math.Max(longest, CountInStage(t.RowIndices(j), position, s));
                    }
                    warpRows.Add(warpRows[^1] + longest);
                }
            }
        }

        // Pass 2: fill the lane-interleaved slots.
        long slots = (long)warpRows[^1] * TiledLayout.WarpSize;
        if (slots > Array.MaxLength) throw new NotSupportedException($"Layer {layer.Index + 1} needs {slots} slots, more than one array holds.");
        var slotIndex = new ushort[slots];
        var slotValue = new float[slots];
        for (int b = 0; b < blocks; b++)
        {
            int first = b * TiledLayout.BlockRows, last = Math.Min(n, first + TiledLayout.BlockRows);
            int footBase = stageStarts[blockStages[b]];
            int footEnd = stageStarts[blockStages[b + 1]];
            for (int f = footBase; f < footEnd; f++) position[footprint[f]] = f - footBase;
            for (int j = first; j < last; j++)
            {
                int local = j - first, wp = local / TiledLayout.WarpSize, lane = local % TiledLayout.WarpSize;
                var inputs = t.RowIndices(j);
                var values = t.RowValues(j);
                int stage = -1, row = 0, warpBase = 0;
                for (int e = 0; e < inputs.Length; e++)
                {
                    int pos = position[inputs[e]];
                    int s = pos / TiledLayout.StageEntries;
                    if (s != stage)
                    {
                        stage = s;
                        row = 0;
                        warpBase = warpRows[(blockStages[b] + s) * TiledLayout.WarpsPerBlock + wp];
                    }
                    long slot = (long)(warpBase + row) * TiledLayout.WarpSize + lane;
                    slotIndex[slot] = (ushort)(pos - s * TiledLayout.StageEntries);
                    slotValue[slot] = values[e];
                    row++;
                }
            }
        }

        return new TiledLayer
        {
            Neurons = n,
            BlockStages = blockStages,
            StageStarts = [.. stageStarts],
            Footprint = [.. footprint],
            WarpRows = [.. warpRows],
            SlotIndex = slotIndex,
            SlotValue = slotValue,
            Bias = layer.Bias,
            NonZeros = w.NonZeros,
        };
    }

    private static int CountInStage(ReadOnlySpan<int> inputs, int[] position, int stage)
    {
        int count = 0;
        foreach (int i in inputs) if (position[i] / TiledLayout.StageEntries == stage) count++;
        return count;
    }
}
