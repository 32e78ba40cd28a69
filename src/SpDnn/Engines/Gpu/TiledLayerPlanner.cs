using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>Turns a layer (CSR by input neuron) into the warp-sliced ELL layout of <see cref="TiledLayer"/>.</summary>
public static class TiledLayerPlanner
{
    private const int StageShift = 9;   // log2(StageEntries)
    private const int LaneBits = 5;     // log2(WarpSize)
    private const int Warps = TiledLayout.WarpsPerBlock;

    /// <param name="layer">The layer.</param>
    /// <param name="clusterOutputs">Order outputs by their input lists before cutting blocks (smaller
    /// footprints, less padding); false gives the seed's layout of consecutive outputs.</param>
    public static TiledLayer Plan(NetworkLayer layer, bool clusterOutputs = true)
    {
        var w = layer.Weights;
        int n = w.Columns;
        if (w.Rows != n) throw new ArgumentException($"Layer {layer.Index + 1} is not square ({w.Rows} x {n}).");
        int blocks = (n + TiledLayout.BlockRows - 1) / TiledLayout.BlockRows;
        int nonZeros = w.ColumnIndices.Length;
        // Transient buffers come from the pool: fresh memory costs page faults, and a plan of
        // N=65536 would otherwise ask for some 30 MB of it besides the layout it returns.
        using var lists = new OutputInputLists(w);
        using var footprints = new BlockFootprint(n);
        var threadOutputs = new int[blocks * TiledLayout.BlockRows];
        var outputs = threadOutputs.AsSpan(0, n);
        if (clusterOutputs) ClusteredOutputOrder.Write(lists, outputs);
        else for (int j = 0; j < n; j++) outputs[j] = j;
        threadOutputs.AsSpan(n).Fill(-1);

        // A block's footprint holds at most min(n, its nonzeros) inputs, all blocks' at most the
        // layer's nonzeros, and each block has at most one partly filled stage.
        int maxStages = blocks + nonZeros / TiledLayout.StageEntries;
        int maxBlockStages = (n + TiledLayout.StageEntries - 1) / TiledLayout.StageEntries;
        var footprintBuffer = ArrayPool<int>.Shared.Rent(nonZeros);
        var stageStartBuffer = ArrayPool<int>.Shared.Rent(maxStages + 1);
        var warpRowBuffer = ArrayPool<int>.Shared.Rent(maxStages * Warps + 1);
        var longestBuffer = ArrayPool<int>.Shared.Rent(maxBlockStages * Warps);
        var positionBuffer = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var footprint = footprintBuffer.AsSpan();
            var stageStarts = stageStartBuffer.AsSpan();
            var warpRows = warpRowBuffer.AsSpan();
            var position = positionBuffer.AsSpan(0, n); // input neuron -> index in the block's footprint
            var blockStages = new int[blocks + 1];
            stageStarts[0] = 0;
            warpRows[0] = 0;
            int footprintLength = 0, stageCount = 0;

            // Pass 1: footprints, stages and warp row counts.
            for (int b = 0; b < blocks; b++)
            {
                int first = b * TiledLayout.BlockRows, last = Math.Min(n, first + TiledLayout.BlockRows);
                for (int o = first; o < last; o++) footprints.Add(lists.Inputs(outputs[o]));
                int footBase = footprintLength;
                int footLength = footprints.Drain(footprint[footBase..], position);
                footprintLength += footLength;
                int stages = (footLength + TiledLayout.StageEntries - 1) >> StageShift;
                blockStages[b + 1] = blockStages[b] + stages;

                // longest[s * Warps + warp]: the most entries any lane of the warp has in stage s.
                var longest = longestBuffer.AsSpan(0, stages * Warps);
                longest.Clear();
                for (int o = first; o < last; o++)
                {
                    int wp = (o - first) >> LaneBits;
                    var inputs = lists.Inputs(outputs[o]);
                    // Inputs ascend and so do their footprint positions: count each stage's run.
                    for (int e = 0; e < inputs.Length;)
                    {
                        int s = position[inputs[e]] >> StageShift;
                        int stageEnd = (s + 1) << StageShift, runStart = e;
                        for (e++; e < inputs.Length && position[inputs[e]] < stageEnd; e++) { }
                        ref int most = ref longest[s * Warps + wp];
                        most = Math.Max(most, e - runStart);
                    }
                }
                for (int s = 0; s < stages; s++)
                {
                    stageCount++;
                    stageStarts[stageCount] = footBase + Math.Min(footLength, (s + 1) << StageShift);
                    for (int wp = 0; wp < Warps; wp++)
                    {
                        int row = stageCount * Warps - Warps + wp;
                        warpRows[row + 1] = warpRows[row] + longest[s * Warps + wp];
                    }
                }
            }

            // Pass 2: fill the lane-interleaved slots.
            long slots = (long)warpRows[stageCount * Warps] * TiledLayout.WarpSize;
            if (slots > Array.MaxLength) throw new NotSupportedException($"Layer {layer.Index + 1} needs {slots} slots, more than one array holds.");
            // Each block's slots are cleared just before they are filled (padding must read 0),
            // while they are in cache, instead of by the allocator in a pass of their own.
            var slotIndex = GC.AllocateUninitializedArray<ushort>((int)slots);
            var slotValue = GC.AllocateUninitializedArray<float>((int)slots);
            for (int b = 0; b < blocks; b++)
            {
                int first = b * TiledLayout.BlockRows, last = Math.Min(n, first + TiledLayout.BlockRows);
                int footBase = stageStarts[blockStages[b]];
                int footEnd = stageStarts[blockStages[b + 1]];
                for (int f = footBase; f < footEnd; f++) position[footprint[f]] = f - footBase;
                int slotStart = warpRows[blockStages[b] * Warps] << LaneBits;
                int slotEnd = warpRows[blockStages[b + 1] * Warps] << LaneBits;
                slotIndex.AsSpan(slotStart, slotEnd - slotStart).Clear();
                slotValue.AsSpan(slotStart, slotEnd - slotStart).Clear();
                var blockWarpRows = warpRows[(blockStages[b] * Warps)..];
                for (int o = first; o < last; o++)
                {
                    int local = o - first, wp = local >> LaneBits, lane = local & (TiledLayout.WarpSize - 1);
                    var inputs = lists.Inputs(outputs[o]);
                    var values = lists.Weights(outputs[o]);
                    int stage = -1, slot = 0;
                    for (int e = 0; e < inputs.Length; e++)
                    {
                        int pos = position[inputs[e]];
                        int s = pos >> StageShift;
                        if (s != stage)
                        {
                            stage = s;
                            slot = (blockWarpRows[s * Warps + wp] << LaneBits) + lane;
                        }
                        slotIndex[slot] = (ushort)(pos & (TiledLayout.StageEntries - 1));
                        slotValue[slot] = values[e];
                        slot += TiledLayout.WarpSize;
                    }
                }
            }

            return new TiledLayer
            {
                Neurons = n,
                Outputs = threadOutputs,
                BlockStages = blockStages,
                StageStarts = stageStarts[..(stageCount + 1)].ToArray(),
                Footprint = footprint[..footprintLength].ToArray(),
                WarpRows = warpRows[..(stageCount * Warps + 1)].ToArray(),
                SlotIndex = slotIndex,
                SlotValue = slotValue,
                Bias = layer.Bias,
                NonZeros = w.NonZeros,
            };
        }
        finally
        {
            ArrayPool<int>.Shared.Return(footprintBuffer);
            ArrayPool<int>.Shared.Return(stageStartBuffer);
            ArrayPool<int>.Shared.Return(warpRowBuffer);
            ArrayPool<int>.Shared.Return(longestBuffer);
            ArrayPool<int>.Shared.Return(positionBuffer);
        }
    }
}
