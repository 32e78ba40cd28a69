using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The two ways the CPU engine computes one layer for some live rows. Both add the products
/// y_i·W(i, j) for each output j in ascending i, multiplying and adding separately (no fused
/// multiply-add), exactly as the reference engine does, so results are bit-identical to it on
/// any data. Then, per output: bias only where the sum is nonzero, cap at YMax, ReLU; only
/// positive results are written, as (index, value) pairs in ascending index.
/// </summary>
internal static unsafe class LayerKernels
{
    private const int Width = CpuLayerPlan.TileWidth;

    /// <summary>
    /// Sparse input (scatter): adds y_i·W(i, :) for every stored input of one row into
    /// <paramref name="accumulator"/> (all zero on entry and on return, padded to whole tiles),
    /// then writes the row's outputs. Returns their count (at most N).
    /// </summary>
    public static int ScatterRow(CpuLayerPlan plan, int* inIndex, float* inValue, int inCount,
        float* accumulator, int* outIndex, float* outValue)
    {
        var rows = plan.Rows;
        fixed (int* rowOffsets = rows.RowOffsets, columns = rows.ColumnIndices)
        fixed (float* weights = rows.Values)
        {
            for (int e = 0; e < inCount; e++)
            {
                float y = inValue[e];
                int end = rowOffsets[inIndex[e] + 1];
                for (int q = rowOffsets[inIndex[e]]; q < end; q++)
                    accumulator[columns[q]] += y * weights[q];
            }
        }
        int count = 0;
        int padded = CpuLayerPlan.PaddedLength(plan.Neurons);
        var zero = Vector512<float>.Zero;
        var cap = Vector512.Create(ChallengeSpec.YMax);
        float* lanes = stackalloc float[Width];
        fixed (float* bias = plan.Bias)
        {
            for (int j = 0; j < padded; j += Width)
            {
                var z = Vector512.Load(accumulator + j);
                if (Vector512.EqualsAll(z, zero)) continue;
                Vector512.Store(zero, accumulator + j);
                uint keep = Finish(z, Vector512.Load(bias + j), cap, lanes);
                while (keep != 0)
                {
                    int l = BitOperations.TrailingZeroCount(keep);
                    keep &= keep - 1;
                    outIndex[count] = j + l;
                    outValue[count++] = lanes[l];
                }
            }
        }
        return count;
    }

    /// <summary>
    /// Dense tile (gather): outputs j0 .. j1-1 of up to 16 rows held in <paramref name="tile"/>,
    /// image-interleaved (input i of lane l at tile[i·16 + l], unused lanes zero). Lane l's
    /// outputs go to outIndex/outValue[l·laneStride + c], its count to counts[l] (which the
    /// caller zeroes). Four output neurons run at once so four sums are in flight, each still in
    /// ascending input order.
    /// </summary>
    public static void GatherTile(CpuLayerPlan plan, int j0, int j1, float* tile,
        int* outIndex, float* outValue, int laneStride, int* counts)
    {
        var zero = Vector512<float>.Zero;
        var cap = Vector512.Create(ChallengeSpec.YMax);
        float* lanes = stackalloc float[Width];
        fixed (int* offsets = plan.ColumnOffsets, inputs = plan.ColumnTileOffsets)
        fixed (float* weights = plan.ColumnValues, bias = plan.Bias)
        {
            int j = j0;
            for (; j + 4 <= j1; j += 4)
            {
                int p0 = offsets[j], p1 = offsets[j + 1], p2 = offsets[j + 2], p3 = offsets[j + 3], e3 = offsets[j + 4];
                int common = Math.Min(Math.Min(p1 - p0, p2 - p1), Math.Min(p3 - p2, e3 - p3));
                Vector512<float> a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                for (int t = 0; t < common; t++)
                {
                    a0 += Vector512.Create(weights[p0 + t]) * Vector512.Load(tile + inputs[p0 + t]);
                    a1 += Vector512.Create(weights[p1 + t]) * Vector512.Load(tile + inputs[p1 + t]);
                    a2 += Vector512.Create(weights[p2 + t]) * Vector512.Load(tile + inputs[p2 + t]);
                    a3 += Vector512.Create(weights[p3 + t]) * Vector512.Load(tile + inputs[p3 + t]);
                }
                a0 = Sum(a0, weights, inputs, tile, p0 + common, p1);
                a1 = Sum(a1, weights, inputs, tile, p1 + common, p2);
                a2 = Sum(a2, weights, inputs, tile, p2 + common, p3);
                a3 = Sum(a3, weights, inputs, tile, p3 + common, e3);
                Emit(a0, j, bias, cap, lanes, j0, outIndex, outValue, laneStride, counts);
                Emit(a1, j + 1, bias, cap, lanes, j0, outIndex, outValue, laneStride, counts);
                Emit(a2, j + 2, bias, cap, lanes, j0, outIndex, outValue, laneStride, counts);
                Emit(a3, j + 3, bias, cap, lanes, j0, outIndex, outValue, laneStride, counts);
            }
            for (; j < j1; j++)
                Emit(Sum(zero, weights, inputs, tile, offsets[j], offsets[j + 1]), j, bias, cap, lanes, j0, outIndex, outValue, laneStride, counts);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sum(Vector512<float> acc, float* weights, int* inputs, float* tile, int from, int to)
    {
        for (int p = from; p < to; p++) acc += Vector512.Create(weights[p]) * Vector512.Load(tile + inputs[p]);
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(Vector512<float> z, int j, float* bias, Vector512<float> cap, float* lanes,
        int j0, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        uint keep = Finish(z, Vector512.Create(bias[j]), cap, lanes);
        while (keep != 0)
        {
            int l = BitOperations.TrailingZeroCount(keep);
            keep &= keep - 1;
            int at = l * laneStride + counts[l]++;
            outIndex[at] = j;
            outValue[at] = lanes[l];
        }
    }

    /// <summary>
    /// Bias where z != 0, cap, ReLU, with the reference's comparisons (a NaN ends as 0). Stores
    /// the results in <paramref name="lanes"/> and returns the mask of lanes with a positive result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Finish(Vector512<float> z, Vector512<float> bias, Vector512<float> cap, float* lanes)
    {
        var v = z + bias;
        v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, cap), cap, v);
        var keep = Vector512.GreaterThan(v, Vector512<float>.Zero) & ~Vector512.Equals(z, Vector512<float>.Zero);
        Vector512.Store(v, lanes);
        return (uint)keep.ExtractMostSignificantBits();
    }
}
