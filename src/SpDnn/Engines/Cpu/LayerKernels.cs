using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The two ways the CPU engine computes one layer for a tile of up to 16 live rows, held
/// densely and image-interleaved (input i of lane l at tile[i·16 + l], unused lanes zero), so
/// one SIMD operation serves 16 rows. Both add the products x_i·W(i, j) for each output j in
/// ascending i, multiplying and adding separately (no fused multiply-add), exactly as the
/// reference engine does, so results are bit-identical to it on any data. Then, per output:
/// bias only where the sum is nonzero, cap at YMax, ReLU. Each lane's positive results are
/// written as (index, value) pairs in ascending index to outIndex/outValue[l·laneStride + c],
/// with c counted in counts[l] (which the caller zeroes).
/// </summary>
internal static unsafe class LayerKernels
{
    // Hot loops are compiled fully optimised at once (AggressiveOptimization): the first run must
    // not spend its early layers in unoptimised tier-0 code with the vector helpers not inlined.

    private const int Width = CpuLayerPlan.TileWidth;

    /// <summary>
    /// Sparse input (scatter): for every input i in <paramref name="inputs"/> (the ascending
    /// union of the tile's nonzero inputs) adds W(i, j)·x_i to the sums of each j of row i.
    /// <paramref name="sums"/> (padded N·16 floats) must be zero on entry and is zero again on return.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterTile(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums,
        int* outIndex, float* outValue, int laneStride, int* counts)
    {
        var rows = plan.Rows;
        fixed (int* rowOffsets = rows.RowOffsets, columns = rows.ColumnIndices)
        fixed (float* weights = rows.Values, bias = plan.Bias)
        {
            for (int e = 0; e < inputCount; e++)
            {
                int i = inputs[e];
                var x = Vector512.Load(tile + i * Width);
                int end = rowOffsets[i + 1];
                for (int q = rowOffsets[i]; q < end; q++)
                {
                    float* z = sums + columns[q] * Width;
                    Vector512.Store(Vector512.Load(z) + Vector512.Create(weights[q]) * x, z);
                }
            }
            var cap = Vector512.Create(ChallengeSpec.YMax);
            float* block = stackalloc float[Width * Width];
            int n = plan.Neurons;
            for (int j0 = 0; j0 < n; j0 += Width)
            {
                float* z = sums + j0 * Width;
                var any = Vector512<float>.Zero;
                for (int r = 0; r < Width; r++)
                {
                    var v = Vector512.Load(z + r * Width);
                    Vector512.Store(Vector512<float>.Zero, z + r * Width);
                    var result = Finish(v, Vector512.Create(bias[j0 + r]), cap);
                    Vector512.Store(result, block + r * Width);
                    any |= result;
                }
                if (any != Vector512<float>.Zero) EmitBlock(block, j0, outIndex, outValue, laneStride, counts);
            }
        }
    }

    /// <summary>
    /// Dense tile (gather): outputs j0 .. j1-1 (j0 a multiple of 16; j1 one too, or N), each the
    /// sum over its column's inputs. Four output neurons run at once so four sums are in flight,
    /// each still in ascending input order. Lane regions must hold 16 entries past any count
    /// reached (the block stores write whole vectors).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherTile(CpuLayerPlan plan, int j0, int j1, float* tile,
        int* outIndex, float* outValue, int laneStride, int* counts)
    {
        var cap = Vector512.Create(ChallengeSpec.YMax);
        float* block = stackalloc float[Width * Width];
        fixed (int* offsets = plan.ColumnOffsets, inputs = plan.ColumnTileOffsets)
        fixed (float* weights = plan.ColumnValues, bias = plan.Bias)
        {
            for (int b = j0; b < j1; b += Width)
            {
                int end = Math.Min(b + Width, j1);
                var any = Vector512<float>.Zero;
                int j = b;
                for (; j + 4 <= end; j += 4)
                {
                    int p0 = offsets[j], p1 = offsets[j + 1], p2 = offsets[j + 2], p3 = offsets[j + 3], e3 = offsets[j + 4];
                    int common = Math.Min(Math.Min(p1 - p0, p2 - p1), Math.Min(p3 - p2, e3 - p3));
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (int t = 0; t < common; t++)
                    {
                        a0 += Vector512.Create(weights[p0 + t]) * Vector512.Load(tile + inputs[p0 + t]);
                        a1 += Vector512.Create(weights[p1 + t]) * Vector512.Load(tile + inputs[p1 + t]);
                        a2 += Vector512.Create(weights[p2 + t]) * Vector512.Load(tile + inputs[p2 + t]);
                        a3 += Vector512.Create(weights[p3 + t]) * Vector512.Load(tile + inputs[p3 + t]);
                    }
                    a0 = Finish(Sum(a0, weights, inputs, tile, p0 + common, p1), Vector512.Create(bias[j]), cap);
                    a1 = Finish(Sum(a1, weights, inputs, tile, p1 + common, p2), Vector512.Create(bias[j + 1]), cap);
                    a2 = Finish(Sum(a2, weights, inputs, tile, p2 + common, p3), Vector512.Create(bias[j + 2]), cap);
                    a3 = Finish(Sum(a3, weights, inputs, tile, p3 + common, e3), Vector512.Create(bias[j + 3]), cap);
                    float* row = block + (j - b) * Width;
                    Vector512.Store(a0, row);
                    Vector512.Store(a1, row + Width);
                    Vector512.Store(a2, row + 2 * Width);
                    Vector512.Store(a3, row + 3 * Width);
                    any |= (a0 | a1) | (a2 | a3);
                }
                for (; j < end; j++)
                {
                    var a = Finish(Sum(default, weights, inputs, tile, offsets[j], offsets[j + 1]), Vector512.Create(bias[j]), cap);
                    Vector512.Store(a, block + (j - b) * Width);
                    any |= a;
                }
                for (; j < b + Width; j++) Vector512.Store(Vector512<float>.Zero, block + (j - b) * Width);
                if (any != Vector512<float>.Zero) EmitBlock(block, b, outIndex, outValue, laneStride, counts);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sum(Vector512<float> acc, float* weights, int* inputs, float* tile, int from, int to)
    {
        for (int p = from; p < to; p++) acc += Vector512.Create(weights[p]) * Vector512.Load(tile + inputs[p]);
        return acc;
    }

    /// <summary>
    /// Bias where z != 0, cap, ReLU, with the reference's comparisons (a NaN ends as 0); lanes
    /// whose result is not positive come out as +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> z, Vector512<float> bias, Vector512<float> cap)
    {
        var v = z + bias;
        v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, cap), cap, v);
        var keep = Vector512.GreaterThan(v, Vector512<float>.Zero) & ~Vector512.Equals(z, Vector512<float>.Zero);
        return v & keep;
    }

    /// <summary>
    /// Writes the positive entries of a 16 x 16 block (row r: output j0 + r for the 16 lanes)
    /// to the lanes' outputs. With AVX-512 the block is transposed in registers and each lane's
    /// entries are compressed and stored as whole vectors (16 slots of slack past the count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EmitBlock(float* block, int j0, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        if (!Avx512F.IsSupported)
        {
            EmitBlockScalar(block, j0, outIndex, outValue, laneStride, counts);
            return;
        }
        var r0 = Vector512.Load(block); var r1 = Vector512.Load(block + 16);
        var r2 = Vector512.Load(block + 32); var r3 = Vector512.Load(block + 48);
        var r4 = Vector512.Load(block + 64); var r5 = Vector512.Load(block + 80);
        var r6 = Vector512.Load(block + 96); var r7 = Vector512.Load(block + 112);
        var r8 = Vector512.Load(block + 128); var r9 = Vector512.Load(block + 144);
        var r10 = Vector512.Load(block + 160); var r11 = Vector512.Load(block + 176);
        var r12 = Vector512.Load(block + 192); var r13 = Vector512.Load(block + 208);
        var r14 = Vector512.Load(block + 224); var r15 = Vector512.Load(block + 240);

        // 4 x 4 transposes inside each 128-bit lane: u[4g + m] holds, in 128-bit lane k, rows 4g..4g+3 at lane 4k + m.
        Quad(r0, r1, r2, r3, out var u0, out var u1, out var u2, out var u3);
        Quad(r4, r5, r6, r7, out var u4, out var u5, out var u6, out var u7);
        Quad(r8, r9, r10, r11, out var u8, out var u9, out var u10, out var u11);
        Quad(r12, r13, r14, r15, out var u12, out var u13, out var u14, out var u15);

        var index = Vector512.Create(j0) + Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Columns(u0, u4, u8, u12, 0, index, outIndex, outValue, laneStride, counts);
        Columns(u1, u5, u9, u13, 1, index, outIndex, outValue, laneStride, counts);
        Columns(u2, u6, u10, u14, 2, index, outIndex, outValue, laneStride, counts);
        Columns(u3, u7, u11, u15, 3, index, outIndex, outValue, laneStride, counts);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3)
    {
        var ab0 = Avx512F.UnpackLow(a, b).AsDouble();
        var ab1 = Avx512F.UnpackHigh(a, b).AsDouble();
        var cd0 = Avx512F.UnpackLow(c, d).AsDouble();
        var cd1 = Avx512F.UnpackHigh(c, d).AsDouble();
        m0 = Avx512F.UnpackLow(ab0, cd0).AsSingle();
        m1 = Avx512F.UnpackHigh(ab0, cd0).AsSingle();
        m2 = Avx512F.UnpackLow(ab1, cd1).AsSingle();
        m3 = Avx512F.UnpackHigh(ab1, cd1).AsSingle();
    }

    /// <summary>Lanes m, 4 + m, 8 + m and 12 + m of the block, gathered from the 128-bit lanes of four quads, then written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, int m,
        Vector512<int> index, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        var v = Avx512F.Shuffle4x128(q0, q1, 0x88);
        var w = Avx512F.Shuffle4x128(q0, q1, 0xDD);
        var x = Avx512F.Shuffle4x128(q2, q3, 0x88);
        var y = Avx512F.Shuffle4x128(q2, q3, 0xDD);
        Store(Avx512F.Shuffle4x128(v, x, 0x88), m, index, outIndex, outValue, laneStride, counts);
        Store(Avx512F.Shuffle4x128(w, y, 0x88), 4 + m, index, outIndex, outValue, laneStride, counts);
        Store(Avx512F.Shuffle4x128(v, x, 0xDD), 8 + m, index, outIndex, outValue, laneStride, counts);
        Store(Avx512F.Shuffle4x128(w, y, 0xDD), 12 + m, index, outIndex, outValue, laneStride, counts);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> column, int lane, Vector512<int> index, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        var keep = Vector512.GreaterThan(column, Vector512<float>.Zero);
        uint bits = (uint)keep.ExtractMostSignificantBits();
        if (bits == 0) return;
        int at = lane * laneStride + counts[lane];
        Vector512.Store(Avx512F.Compress(Vector512<float>.Zero, keep, column), outValue + at);
        Vector512.Store(Avx512F.Compress(Vector512<int>.Zero, keep.AsInt32(), index), outIndex + at);
        counts[lane] += BitOperations.PopCount(bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EmitBlockScalar(float* block, int j0, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        for (int r = 0; r < Width; r++)
        {
            var row = Vector512.Load(block + r * Width);
            uint bits = (uint)Vector512.GreaterThan(row, Vector512<float>.Zero).ExtractMostSignificantBits();
            while (bits != 0)
            {
                int l = BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                int at = l * laneStride + counts[l]++;
                outIndex[at] = j0 + r;
                outValue[at] = block[r * Width + l];
            }
        }
    }
}
