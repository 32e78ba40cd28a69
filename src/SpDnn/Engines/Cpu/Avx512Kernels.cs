using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The CPU engine's paths that need AVX-512 (compress, 512-bit shuffles) and run with Vector512
/// tiles only (<see cref="TileKernels{TVector}"/>): the row kernel and the block transposition.
/// </summary>
internal static unsafe class Avx512Kernels
{
    private const int Width = CpuLayerPlan.TileWidth;

    /// <summary>
    /// One row (lane <paramref name="lane"/> of the tile), 16 outputs at a time: for each block of
    /// outputs j0 .. j1-1 (j0 a multiple of 16), each slot gathers the 16 inputs the block's
    /// columns read next, so every output still sums in ascending input order. Writes the row's
    /// outputs at outIndex/outValue[c], c counted in *count. Needs AVX2 (gathers) and AVX-512 (compress).
    /// </summary>
    public static void GatherRow(CpuLayerPlan plan, int lane, int j0, int j1, float* tile, int* outIndex, float* outValue, int* count)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: GatherRow<RectifiedOnNonzero>(plan, lane, j0, j1, tile, outIndex, outValue, count); break;
            case KernelForm.RectifiedAlways: GatherRow<RectifiedAlways>(plan, lane, j0, j1, tile, outIndex, outValue, count); break;
            case KernelForm.IdentityOnNonzero: GatherRow<IdentityOnNonzero>(plan, lane, j0, j1, tile, outIndex, outValue, count); break;
            default: GatherRow<IdentityAlways>(plan, lane, j0, j1, tile, outIndex, outValue, count); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherRow<TForm>(CpuLayerPlan plan, int lane, int j0, int j1, float* tile, int* outIndex, float* outValue, int* count)
        where TForm : struct, IKernelForm
    {
        var cap = Vector512.Create(plan.Cap);
        var iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        float* row = tile + lane;
        int c = *count;
        fixed (int* blockSlots = plan.BlockSlots, inputs = plan.SlotTileOffsets)
        fixed (float* weights = plan.SlotValues, bias = plan.Bias)
        {
            for (int b = j0 / Width, end = (j1 + Width - 1) / Width; b < end; b++)
            {
                var acc = Vector512<float>.Zero;
                for (int s = blockSlots[b], last = blockSlots[b + 1]; s < last; s++)
                {
                    // .NET exposes AVX2's 8-wide gathers only: two make the 16 inputs.
                    var x = Vector512.Create(
                        Avx2.GatherVector256(row, Vector256.Load(inputs + s * Width), 4),
                        Avx2.GatherVector256(row, Vector256.Load(inputs + s * Width + 8), 4));
                    acc += Vector512.Load(weights + s * Width) * x;
                }
                var v = TForm.Finish(new TileVector512(acc), new TileVector512(Vector512.Load(bias + b * Width)), new TileVector512(cap)).Lanes;
                var keep = Keep<TForm>(v);
                uint bits = (uint)keep.ExtractMostSignificantBits();
                if (bits == 0) continue;
                Vector512.Store(Avx512F.Compress(Vector512<float>.Zero, keep, v), outValue + c);
                Vector512.Store(Avx512F.Compress(Vector512<int>.Zero, keep.AsInt32(), Vector512.Create(b * Width) + iota), outIndex + c);
                c += BitOperations.PopCount(bits);
            }
        }
        *count = c;
    }

    /// <summary>
    /// Writes the positive entries of a 16 x 16 block (row r: output j0 + r for the 16 lanes)
    /// to the lanes' outputs: the block is transposed in registers and each lane's entries are
    /// compressed and stored as whole vectors (16 slots of slack past the count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EmitBlock<TForm>(float* block, int j0, int* outIndex, float* outValue, int laneStride, int* counts)
        where TForm : struct, IKernelForm
    {
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
        Columns<TForm>(u0, u4, u8, u12, 0, index, outIndex, outValue, laneStride, counts);
        Columns<TForm>(u1, u5, u9, u13, 1, index, outIndex, outValue, laneStride, counts);
        Columns<TForm>(u2, u6, u10, u14, 2, index, outIndex, outValue, laneStride, counts);
        Columns<TForm>(u3, u7, u11, u15, 3, index, outIndex, outValue, laneStride, counts);
    }

    /// <summary>Lanes an output row keeps: positive ones, or nonzero ones for forms with negative outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Keep<TForm>(Vector512<float> v) where TForm : struct, IKernelForm =>
        TForm.KeepsNegatives ? ~Vector512.Equals(v, Vector512<float>.Zero) : Vector512.GreaterThan(v, Vector512<float>.Zero);

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
    private static void Columns<TForm>(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, int m,
        Vector512<int> index, int* outIndex, float* outValue, int laneStride, int* counts) where TForm : struct, IKernelForm
    {
        var v = Avx512F.Shuffle4x128(q0, q1, 0x88);
        var w = Avx512F.Shuffle4x128(q0, q1, 0xDD);
        var x = Avx512F.Shuffle4x128(q2, q3, 0x88);
        var y = Avx512F.Shuffle4x128(q2, q3, 0xDD);
        Store<TForm>(Avx512F.Shuffle4x128(v, x, 0x88), m, index, outIndex, outValue, laneStride, counts);
        Store<TForm>(Avx512F.Shuffle4x128(w, y, 0x88), 4 + m, index, outIndex, outValue, laneStride, counts);
        Store<TForm>(Avx512F.Shuffle4x128(v, x, 0xDD), 8 + m, index, outIndex, outValue, laneStride, counts);
        Store<TForm>(Avx512F.Shuffle4x128(w, y, 0xDD), 12 + m, index, outIndex, outValue, laneStride, counts);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TForm>(Vector512<float> column, int lane, Vector512<int> index, int* outIndex, float* outValue, int laneStride, int* counts)
        where TForm : struct, IKernelForm
    {
        var keep = Keep<TForm>(column);
        uint bits = (uint)keep.ExtractMostSignificantBits();
        if (bits == 0) return;
        int at = lane * laneStride + counts[lane];
        Vector512.Store(Avx512F.Compress(Vector512<float>.Zero, keep, column), outValue + at);
        Vector512.Store(Avx512F.Compress(Vector512<int>.Zero, keep.AsInt32(), index), outIndex + at);
        counts[lane] += BitOperations.PopCount(bits);
    }
}
