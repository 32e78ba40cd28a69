using SpDnn.Engines.Gpu;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The planner as it was before it was made faster (commit d2a2d84, with that commit's transpose),
/// kept unchanged as test code: the fast <see cref="TiledLayerPlanner"/> must give the very same layout.
/// </summary>
internal static class ReferenceTiledLayerPlanner
{
    /// <param name="layer">The layer.</param>
    /// <param name="clusterOutputs">Order outputs by their input lists before cutting blocks (smaller
    /// footprints, less padding); false gives the seed's layout of consecutive outputs.</param>
    public static TiledLayer Plan(NetworkLayer layer, bool clusterOutputs = true)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows != n) throw new ArgumentException($"Layer {layer.Index + 1} is not square ({w.Rows} x {n}).");
        // Rows of the transpose are output neurons, each listing its inputs in ascending order.
        var t = Transpose(w);
        int blocks = (n + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        var outputs = OutputOrder(t, clusterOutputs);
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
            for (int o = first; o < last; o++) foreach (int i in t.RowIndices(outputs[o])) scratch.Add(i);
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
                        int o = first + wp * TiledLayout.WarpSize + lane;
                        if (o < last) longest = Math.Max(longest, CountInStage(t.RowIndices(outputs[o]), position, s));
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
            for (int o = first; o < last; o++)
            {
                int local = o - first, wp = local / TiledLayout.WarpSize, lane = local % TiledLayout.WarpSize;
                var inputs = t.RowIndices(outputs[o]);
                var values = t.RowValues(outputs[o]);
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

        var threadOutputs = new int[blocks * TiledLayout.BlockRows];
        Array.Fill(threadOutputs, -1);
        outputs.CopyTo(threadOutputs, 0);
        return new TiledLayer
        {
            Neurons = n,
            Outputs = threadOutputs,
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

    /// <summary>
    /// Outputs in block order. Clustered: sorted by their input lists (lexicographically), so
    /// outputs with equal or similar lists share a block; then each block ascending, so
    /// neighbouring threads write neighbouring outputs where they can.
    /// </summary>
    private static int[] OutputOrder(CsrMatrix transpose, bool cluster)
    {
        int n = transpose.Rows;
        var order = new int[n];
        for (int j = 0; j < n; j++) order[j] = j;
        if (!cluster) return order;
        Array.Sort(order, (x, y) =>
        {
            var a = transpose.RowIndices(x);
            var b = transpose.RowIndices(y);
            int c = a.SequenceCompareTo(b);
            return c != 0 ? c : x.CompareTo(y);
        });
        for (int start = 0; start < n; start += TiledLayout.BlockRows)
            Array.Sort(order, start, Math.Min(TiledLayout.BlockRows, n - start));
        return order;
    }

    /// <summary>CsrMatrix.Transpose as it was, so that a change there cannot hide in both planners.</summary>
    private static CsrMatrix Transpose(CsrMatrix m)
    {
        var offsets = new int[m.Columns + 1];
        foreach (int c in m.ColumnIndices) offsets[c + 1]++;
        for (int c = 0; c < m.Columns; c++) offsets[c + 1] += offsets[c];
        var cursor = offsets.AsSpan(0, m.Columns).ToArray();
        var rowsOut = new int[m.ColumnIndices.Length];
        var valsOut = new float[m.ColumnIndices.Length];
        for (int r = 0; r < m.Rows; r++)
        {
            for (int p = m.RowOffsets[r]; p < m.RowOffsets[r + 1]; p++)
            {
                int q = cursor[m.ColumnIndices[p]]++;
                rowsOut[q] = r;
                valsOut[q] = m.Values[p];
            }
        }
        return new CsrMatrix(m.Columns, m.Rows, offsets, rowsOut, valsOut);
    }

    private static int CountInStage(ReadOnlySpan<int> inputs, int[] position, int stage)
    {
        int count = 0;
        foreach (int i in inputs) if (position[i] / TiledLayout.StageEntries == stage) count++;
        return count;
    }
}
