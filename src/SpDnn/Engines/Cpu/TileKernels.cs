using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The layer kernels (see <see cref="LayerKernels"/>) over tiles held as <typeparamref name="TVector"/>.
/// A struct type argument makes the JIT compile a copy per width with every vector operation
/// inlined; the algorithm and the order of every sum are the same for all widths.
/// </summary>
internal sealed unsafe class TileKernels<TVector> : LayerKernels where TVector : unmanaged, ITileVector<TVector>
{
    // Hot loops are compiled fully optimised at once (AggressiveOptimization): the first run must
    // not spend its early layers in unoptimised tier-0 code with the vector helpers not inlined.

    private const int Width = CpuLayerPlan.TileWidth;

    /// <summary>The AVX-512 paths belong to Vector512 tiles; narrower ones run as a machine without AVX-512 does.</summary>
    private static bool UsesAvx512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TVector) == typeof(TileVector512) && Avx512F.IsSupported;
    }

    public override string Description => TVector.IsHardwareAccelerated ? TVector.Name : TVector.Name + " (emulated)";

    public override bool HasRowKernel => UsesAvx512 && Avx2.IsSupported;

    public override void ScatterTile(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums,
        int* outIndex, float* outValue, int laneStride, int* counts)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: Scatter<RectifiedOnNonzero>(plan, inputs, inputCount, tile, sums, outIndex, outValue, laneStride, counts); break;
            case KernelForm.RectifiedAlways: Scatter<RectifiedAlways>(plan, inputs, inputCount, tile, sums, outIndex, outValue, laneStride, counts); break;
            case KernelForm.IdentityOnNonzero: Scatter<IdentityOnNonzero>(plan, inputs, inputCount, tile, sums, outIndex, outValue, laneStride, counts); break;
            default: Scatter<IdentityAlways>(plan, inputs, inputCount, tile, sums, outIndex, outValue, laneStride, counts); break;
        }
    }

    public override void GatherTile(CpuLayerPlan plan, int j0, int j1, float* tile, int* outIndex, float* outValue, int laneStride, int* counts)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: Gather<RectifiedOnNonzero>(plan, j0, j1, tile, outIndex, outValue, laneStride, counts); break;
            case KernelForm.RectifiedAlways: Gather<RectifiedAlways>(plan, j0, j1, tile, outIndex, outValue, laneStride, counts); break;
            case KernelForm.IdentityOnNonzero: Gather<IdentityOnNonzero>(plan, j0, j1, tile, outIndex, outValue, laneStride, counts); break;
            default: Gather<IdentityAlways>(plan, j0, j1, tile, outIndex, outValue, laneStride, counts); break;
        }
    }

    public override void GatherGroups(CpuLayerPlan plan, ColumnGroups groups, float* tile, float* output)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: GatherGroups<RectifiedOnNonzero>(plan, groups, tile, output); break;
            case KernelForm.RectifiedAlways: GatherGroups<RectifiedAlways>(plan, groups, tile, output); break;
            case KernelForm.IdentityOnNonzero: GatherGroups<IdentityOnNonzero>(plan, groups, tile, output); break;
            default: GatherGroups<IdentityAlways>(plan, groups, tile, output); break;
        }
    }

    public override void GatherGroupPair(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* output0, float* output1)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: GatherGroupPair<RectifiedOnNonzero>(plan, groups, tile0, tile1, output0, output1); break;
            case KernelForm.RectifiedAlways: GatherGroupPair<RectifiedAlways>(plan, groups, tile0, tile1, output0, output1); break;
            case KernelForm.IdentityOnNonzero: GatherGroupPair<IdentityOnNonzero>(plan, groups, tile0, tile1, output0, output1); break;
            default: GatherGroupPair<IdentityAlways>(plan, groups, tile0, tile1, output0, output1); break;
        }
    }

    public override void GatherGroupQuad(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* tile2, float* tile3,
        float* output0, float* output1, float* output2, float* output3)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: GatherGroupQuad<RectifiedOnNonzero>(plan, groups, tile0, tile1, tile2, tile3, output0, output1, output2, output3); break;
            case KernelForm.RectifiedAlways: GatherGroupQuad<RectifiedAlways>(plan, groups, tile0, tile1, tile2, tile3, output0, output1, output2, output3); break;
            case KernelForm.IdentityOnNonzero: GatherGroupQuad<IdentityOnNonzero>(plan, groups, tile0, tile1, tile2, tile3, output0, output1, output2, output3); break;
            default: GatherGroupQuad<IdentityAlways>(plan, groups, tile0, tile1, tile2, tile3, output0, output1, output2, output3); break;
        }
    }

    public override void ScatterDense(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums, float* output)
    {
        switch (plan.KernelForm)
        {
            case KernelForm.RectifiedOnNonzero: ScatterDense<RectifiedOnNonzero>(plan, inputs, inputCount, tile, sums, output); break;
            case KernelForm.RectifiedAlways: ScatterDense<RectifiedAlways>(plan, inputs, inputCount, tile, sums, output); break;
            case KernelForm.IdentityOnNonzero: ScatterDense<IdentityOnNonzero>(plan, inputs, inputCount, tile, sums, output); break;
            default: ScatterDense<IdentityAlways>(plan, inputs, inputCount, tile, sums, output); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int NonZeroRows(float* tile, int rows, int* list)
    {
        int count = 0;
        for (int i = 0; i < rows; i++)
        {
            list[count] = i;
            count += TVector.IsZero(TVector.Load(tile + i * Width)) ? 0 : 1;
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int NonZeroRowCount(float* tile, int rows, out uint lanes)
    {
        uint all = 0;
        int count = 0;
        for (int i = 0; i < rows; i++)
        {
            uint row = TVector.NonZeroLanes(TVector.Load(tile + i * Width));
            all |= row;
            count += row != 0 ? 1 : 0;
        }
        lanes = all;
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MarkNonZeroRows(float* tile, int rows, ulong* seen)
    {
        for (int i = 0; i < rows; i++)
            seen[i >> 6] |= (TVector.IsZero(TVector.Load(tile + i * Width)) ? 0UL : 1UL) << i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool ZeroOnRows(float* tile, int* rowOffsets, int count)
    {
        // Or of the bits: ±0 rows leave only sign bits, which compare equal to zero; any other value does not.
        var any = TVector.Zero;
        for (int e = 0; e < count; e++) any |= TVector.Load(tile + rowOffsets[e]);
        return TVector.IsZero(any);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ArgmaxLanes(float* tile, int rows, float* classes)
    {
        // The scalar rule in every lane at once: best holds the value of the row chosen so far.
        var best = TVector.Load(tile);
        var chosen = TVector.Zero;
        for (int j = 1; j < rows; j++)
        {
            var v = TVector.Load(tile + j * Width);
            chosen = TVector.WhereGreater(v, best, TVector.Broadcast(j), chosen);
            best = TVector.WhereGreater(v, best, v, best);
        }
        TVector.Store(chosen, classes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scatter<TForm>(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums,
        int* outIndex, float* outValue, int laneStride, int* counts) where TForm : struct, IKernelForm
    {
        var rows = plan.Rows;
        fixed (int* rowOffsets = rows.RowOffsets, columns = rows.ColumnIndices)
        fixed (float* weights = rows.Values, bias = plan.Bias)
        {
            for (int e = 0; e < inputCount; e++)
            {
                int i = inputs[e];
                var x = TVector.Load(tile + i * Width);
                int end = rowOffsets[i + 1];
                for (int q = rowOffsets[i]; q < end; q++)
                {
                    float* z = sums + columns[q] * Width;
                    TVector.Store(TVector.Load(z) + TVector.Broadcast(weights[q]) * x, z);
                }
            }
            var cap = TVector.Broadcast(plan.Cap);
            float* block = stackalloc float[Width * Width];
            int n = plan.Neurons;
            for (int j0 = 0; j0 < n; j0 += Width)
            {
                float* z = sums + j0 * Width;
                var any = TVector.Zero;
                for (int r = 0; r < Width; r++)
                {
                    var v = TVector.Load(z + r * Width);
                    TVector.Store(TVector.Zero, z + r * Width);
                    var result = TForm.Finish(v, TVector.Broadcast(bias[j0 + r]), cap);
                    TVector.Store(result, block + r * Width);
                    any |= result;
                }
                if (!TVector.IsZero(any)) EmitBlock<TForm>(block, j0, outIndex, outValue, laneStride, counts);
            }
        }
    }

    /// <summary>Four output neurons run at once so four sums are in flight, each still in ascending input order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather<TForm>(CpuLayerPlan plan, int j0, int j1, float* tile,
        int* outIndex, float* outValue, int laneStride, int* counts) where TForm : struct, IKernelForm
    {
        var cap = TVector.Broadcast(plan.Cap);
        float* block = stackalloc float[Width * Width];
        fixed (int* offsets = plan.ColumnOffsets, inputs = plan.ColumnTileOffsets)
        fixed (float* weights = plan.ColumnValues, bias = plan.Bias)
        {
            for (int b = j0; b < j1; b += Width)
            {
                int end = Math.Min(b + Width, j1);
                var any = TVector.Zero;
                int j = b;
                for (; j + 4 <= end; j += 4)
                {
                    int p0 = offsets[j], p1 = offsets[j + 1], p2 = offsets[j + 2], p3 = offsets[j + 3], e3 = offsets[j + 4];
                    int common = Math.Min(Math.Min(p1 - p0, p2 - p1), Math.Min(p3 - p2, e3 - p3));
                    TVector a0 = TVector.Zero, a1 = TVector.Zero, a2 = TVector.Zero, a3 = TVector.Zero;
                    for (int t = 0; t < common; t++)
                    {
                        a0 = TVector.AddProduct(a0, weights + (p0 + t), tile + inputs[p0 + t]);
                        a1 = TVector.AddProduct(a1, weights + (p1 + t), tile + inputs[p1 + t]);
                        a2 = TVector.AddProduct(a2, weights + (p2 + t), tile + inputs[p2 + t]);
                        a3 = TVector.AddProduct(a3, weights + (p3 + t), tile + inputs[p3 + t]);
                    }
                    a0 = TForm.Finish(Sum(a0, weights, inputs, tile, p0 + common, p1), TVector.Broadcast(bias[j]), cap);
                    a1 = TForm.Finish(Sum(a1, weights, inputs, tile, p1 + common, p2), TVector.Broadcast(bias[j + 1]), cap);
                    a2 = TForm.Finish(Sum(a2, weights, inputs, tile, p2 + common, p3), TVector.Broadcast(bias[j + 2]), cap);
                    a3 = TForm.Finish(Sum(a3, weights, inputs, tile, p3 + common, e3), TVector.Broadcast(bias[j + 3]), cap);
                    float* row = block + (j - b) * Width;
                    TVector.Store(a0, row);
                    TVector.Store(a1, row + Width);
                    TVector.Store(a2, row + 2 * Width);
                    TVector.Store(a3, row + 3 * Width);
                    any |= (a0 | a1) | (a2 | a3);
                }
                for (; j < end; j++)
                {
                    var a = TForm.Finish(Sum(TVector.Zero, weights, inputs, tile, offsets[j], offsets[j + 1]), TVector.Broadcast(bias[j]), cap);
                    TVector.Store(a, block + (j - b) * Width);
                    any |= a;
                }
                for (; j < b + Width; j++) TVector.Store(TVector.Zero, block + (j - b) * Width);
                if (!TVector.IsZero(any)) EmitBlock<TForm>(block, b, outIndex, outValue, laneStride, counts);
            }
        }
    }

    /// <summary>
    /// Four outputs at once from their interleaved columns (<see cref="ColumnGroups"/>): one
    /// pointer walks the group's slots, each sum still in ascending input order. Over a layer cut
    /// into input ranges, a range's unfinished sums wait in the output tile and the next range
    /// goes on from them; the last one finishes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherGroups<TForm>(CpuLayerPlan plan, ColumnGroups groups, float* tile, float* output) where TForm : struct, IKernelForm
    {
        const int G = ColumnGroups.Size;
        var cap = TVector.Broadcast(plan.Cap);
        int perBlock = groups.Groups, blocks = groups.Blocks;
        fixed (int* order = groups.Order, groupSlots = groups.GroupSlots, inputs = groups.SlotTileOffsets)
        fixed (float* weights = groups.SlotWeights, bias = groups.GroupBias)
        {
            for (int b = 0; b < blocks; b++)
            {
                bool first = b == 0, last = b == blocks - 1;
                for (int g = b * perBlock, end = g + perBlock; g < end; g++)
                {
                    int at = g * G;
                    int o0 = order[at] * Width, o1 = order[at + 1] * Width, o2 = order[at + 2] * Width, o3 = order[at + 3] * Width;
                    var a0 = Start(first, output + o0);
                    var a1 = Start(first, output + o1);
                    var a2 = Start(first, output + o2);
                    var a3 = Start(first, output + o3);
                    int* input = inputs + (long)groupSlots[g] * G;
                    int* stop = inputs + (long)groupSlots[g + 1] * G;
                    float* w = weights + (long)groupSlots[g] * G;
                    for (; input < stop; input += G, w += G)
                    {
                        a0 = TVector.AddProduct(a0, w, tile + input[0]);
                        a1 = TVector.AddProduct(a1, w + 1, tile + input[1]);
                        a2 = TVector.AddProduct(a2, w + 2, tile + input[2]);
                        a3 = TVector.AddProduct(a3, w + 3, tile + input[3]);
                    }
                    if (last)
                    {
                        a0 = TForm.Finish(a0, TVector.Broadcast(bias[at]), cap);
                        a1 = TForm.Finish(a1, TVector.Broadcast(bias[at + 1]), cap);
                        a2 = TForm.Finish(a2, TVector.Broadcast(bias[at + 2]), cap);
                        a3 = TForm.Finish(a3, TVector.Broadcast(bias[at + 3]), cap);
                    }
                    TVector.Store(a0, output + o0);
                    TVector.Store(a1, output + o1);
                    TVector.Store(a2, output + o2);
                    TVector.Store(a3, output + o3);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="GatherGroups{TForm}"/> on two tiles: eight sums in flight (four outputs of each
    /// tile), each weight broadcast once for both; every sum still in ascending input order, the
    /// product rounded before it is added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherGroupPair<TForm>(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* output0, float* output1)
        where TForm : struct, IKernelForm
    {
        const int G = ColumnGroups.Size;
        var cap = TVector.Broadcast(plan.Cap);
        int perBlock = groups.Groups, blocks = groups.Blocks;
        fixed (int* order = groups.Order, groupSlots = groups.GroupSlots, inputs = groups.SlotTileOffsets)
        fixed (float* weights = groups.SlotWeights, bias = groups.GroupBias)
        {
            for (int b = 0; b < blocks; b++)
            {
                bool first = b == 0, last = b == blocks - 1;
                for (int g = b * perBlock, end = g + perBlock; g < end; g++)
                {
                    int at = g * G;
                    int o0 = order[at] * Width, o1 = order[at + 1] * Width, o2 = order[at + 2] * Width, o3 = order[at + 3] * Width;
                    var a0 = Start(first, output0 + o0);
                    var a1 = Start(first, output0 + o1);
                    var a2 = Start(first, output0 + o2);
                    var a3 = Start(first, output0 + o3);
                    var b0 = Start(first, output1 + o0);
                    var b1 = Start(first, output1 + o1);
                    var b2 = Start(first, output1 + o2);
                    var b3 = Start(first, output1 + o3);
                    int* input = inputs + (long)groupSlots[g] * G;
                    int* stop = inputs + (long)groupSlots[g + 1] * G;
                    float* w = weights + (long)groupSlots[g] * G;
                    for (; input < stop; input += G, w += G)
                    {
                        var w0 = TVector.Broadcast(w[0]);
                        a0 += w0 * TVector.Load(tile0 + input[0]);
                        b0 += w0 * TVector.Load(tile1 + input[0]);
                        var w1 = TVector.Broadcast(w[1]);
                        a1 += w1 * TVector.Load(tile0 + input[1]);
                        b1 += w1 * TVector.Load(tile1 + input[1]);
                        var w2 = TVector.Broadcast(w[2]);
                        a2 += w2 * TVector.Load(tile0 + input[2]);
                        b2 += w2 * TVector.Load(tile1 + input[2]);
                        var w3 = TVector.Broadcast(w[3]);
                        a3 += w3 * TVector.Load(tile0 + input[3]);
                        b3 += w3 * TVector.Load(tile1 + input[3]);
                    }
                    if (last)
                    {
                        Finish2<TForm>(a0, b0, bias[at], cap, o0, output0, output1);
                        Finish2<TForm>(a1, b1, bias[at + 1], cap, o1, output0, output1);
                        Finish2<TForm>(a2, b2, bias[at + 2], cap, o2, output0, output1);
                        Finish2<TForm>(a3, b3, bias[at + 3], cap, o3, output0, output1);
                    }
                    else
                    {
                        TVector.Store(a0, output0 + o0);
                        TVector.Store(a1, output0 + o1);
                        TVector.Store(a2, output0 + o2);
                        TVector.Store(a3, output0 + o3);
                        TVector.Store(b0, output1 + o0);
                        TVector.Store(b1, output1 + o1);
                        TVector.Store(b2, output1 + o2);
                        TVector.Store(b3, output1 + o3);
                    }
                }
            }
        }
    }

    /// <summary><see cref="GatherGroupPair{TForm}"/> on four tiles: sixteen sums in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherGroupQuad<TForm>(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* tile2, float* tile3,
        float* output0, float* output1, float* output2, float* output3) where TForm : struct, IKernelForm
    {
        const int G = ColumnGroups.Size;
        var cap = TVector.Broadcast(plan.Cap);
        int perBlock = groups.Groups, blocks = groups.Blocks;
        fixed (int* order = groups.Order, groupSlots = groups.GroupSlots, inputs = groups.SlotTileOffsets)
        fixed (float* weights = groups.SlotWeights, bias = groups.GroupBias)
        {
            for (int b = 0; b < blocks; b++)
            {
                bool first = b == 0, last = b == blocks - 1;
                for (int g = b * perBlock, end = g + perBlock; g < end; g++)
                {
                    int at = g * G;
                    int o0 = order[at] * Width, o1 = order[at + 1] * Width, o2 = order[at + 2] * Width, o3 = order[at + 3] * Width;
                    var a0 = Start(first, output0 + o0);
                    var a1 = Start(first, output0 + o1);
                    var a2 = Start(first, output0 + o2);
                    var a3 = Start(first, output0 + o3);
                    var b0 = Start(first, output1 + o0);
                    var b1 = Start(first, output1 + o1);
                    var b2 = Start(first, output1 + o2);
                    var b3 = Start(first, output1 + o3);
                    var c0 = Start(first, output2 + o0);
                    var c1 = Start(first, output2 + o1);
                    var c2 = Start(first, output2 + o2);
                    var c3 = Start(first, output2 + o3);
                    var d0 = Start(first, output3 + o0);
                    var d1 = Start(first, output3 + o1);
                    var d2 = Start(first, output3 + o2);
                    var d3 = Start(first, output3 + o3);
                    int* input = inputs + (long)groupSlots[g] * G;
                    int* stop = inputs + (long)groupSlots[g + 1] * G;
                    float* w = weights + (long)groupSlots[g] * G;
                    for (; input < stop; input += G, w += G)
                    {
                        int i0 = input[0], i1 = input[1], i2 = input[2], i3 = input[3];
                        var w0 = TVector.Broadcast(w[0]);
                        a0 += w0 * TVector.Load(tile0 + i0);
                        b0 += w0 * TVector.Load(tile1 + i0);
                        c0 += w0 * TVector.Load(tile2 + i0);
                        d0 += w0 * TVector.Load(tile3 + i0);
                        var w1 = TVector.Broadcast(w[1]);
                        a1 += w1 * TVector.Load(tile0 + i1);
                        b1 += w1 * TVector.Load(tile1 + i1);
                        c1 += w1 * TVector.Load(tile2 + i1);
                        d1 += w1 * TVector.Load(tile3 + i1);
                        var w2 = TVector.Broadcast(w[2]);
                        a2 += w2 * TVector.Load(tile0 + i2);
                        b2 += w2 * TVector.Load(tile1 + i2);
                        c2 += w2 * TVector.Load(tile2 + i2);
                        d2 += w2 * TVector.Load(tile3 + i2);
                        var w3 = TVector.Broadcast(w[3]);
                        a3 += w3 * TVector.Load(tile0 + i3);
                        b3 += w3 * TVector.Load(tile1 + i3);
                        c3 += w3 * TVector.Load(tile2 + i3);
                        d3 += w3 * TVector.Load(tile3 + i3);
                    }
                    if (last)
                    {
                        Finish4<TForm>(a0, b0, c0, d0, bias[at], cap, o0, output0, output1, output2, output3);
                        Finish4<TForm>(a1, b1, c1, d1, bias[at + 1], cap, o1, output0, output1, output2, output3);
                        Finish4<TForm>(a2, b2, c2, d2, bias[at + 2], cap, o2, output0, output1, output2, output3);
                        Finish4<TForm>(a3, b3, c3, d3, bias[at + 3], cap, o3, output0, output1, output2, output3);
                    }
                    else
                    {
                        Keep4(a0, b0, c0, d0, o0, output0, output1, output2, output3);
                        Keep4(a1, b1, c1, d1, o1, output0, output1, output2, output3);
                        Keep4(a2, b2, c2, d2, o2, output0, output1, output2, output3);
                        Keep4(a3, b3, c3, d3, o3, output0, output1, output2, output3);
                    }
                }
            }
        }
    }

    /// <summary>An output's sum before a layer's first input range (+0) or after a previous range (its unfinished sum, kept in the output tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Start(bool first, float* kept) => first ? TVector.Zero : TVector.Load(kept);

    /// <summary>One output's sums of two tiles, finished and stored at <paramref name="offset"/> of each tile's output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish2<TForm>(TVector a, TVector b, float bias, TVector cap, int offset, float* output0, float* output1)
        where TForm : struct, IKernelForm
    {
        var v = TVector.Broadcast(bias);
        TVector.Store(TForm.Finish(a, v, cap), output0 + offset);
        TVector.Store(TForm.Finish(b, v, cap), output1 + offset);
    }

    /// <summary>One output's sums of four tiles, finished and stored at <paramref name="offset"/> of each tile's output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4<TForm>(TVector a, TVector b, TVector c, TVector d, float bias, TVector cap, int offset,
        float* output0, float* output1, float* output2, float* output3) where TForm : struct, IKernelForm
    {
        var v = TVector.Broadcast(bias);
        TVector.Store(TForm.Finish(a, v, cap), output0 + offset);
        TVector.Store(TForm.Finish(b, v, cap), output1 + offset);
        TVector.Store(TForm.Finish(c, v, cap), output2 + offset);
        TVector.Store(TForm.Finish(d, v, cap), output3 + offset);
    }

    /// <summary>One output's unfinished sums of four tiles, kept at <paramref name="offset"/> of each tile's output for the next input range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep4(TVector a, TVector b, TVector c, TVector d, int offset, float* output0, float* output1, float* output2, float* output3)
    {
        TVector.Store(a, output0 + offset);
        TVector.Store(b, output1 + offset);
        TVector.Store(c, output2 + offset);
        TVector.Store(d, output3 + offset);
    }

    /// <summary><see cref="Scatter{TForm}"/> into a dense tile; <paramref name="sums"/> is zero again on return.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterDense<TForm>(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums, float* output)
        where TForm : struct, IKernelForm
    {
        var rows = plan.Rows;
        fixed (int* rowOffsets = rows.RowOffsets, columns = rows.ColumnIndices)
        fixed (float* weights = rows.Values, bias = plan.Bias)
        {
            for (int e = 0; e < inputCount; e++)
            {
                int i = inputs[e];
                var x = TVector.Load(tile + i * Width);
                int end = rowOffsets[i + 1];
                for (int q = rowOffsets[i]; q < end; q++)
                {
                    float* z = sums + columns[q] * Width;
                    TVector.Store(TVector.Load(z) + TVector.Broadcast(weights[q]) * x, z);
                }
            }
            var cap = TVector.Broadcast(plan.Cap);
            for (int j = 0, n = plan.Neurons; j < n; j++)
            {
                float* z = sums + j * Width;
                var v = TVector.Load(z);
                TVector.Store(TVector.Zero, z);
                TVector.Store(TForm.Finish(v, TVector.Broadcast(bias[j]), cap), output + j * Width);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Sum(TVector acc, float* weights, int* inputs, float* tile, int from, int to)
    {
        for (int p = from; p < to; p++) acc = TVector.AddProduct(acc, weights + p, tile + inputs[p]);
        return acc;
    }

    /// <summary>Writes the kept entries (positive, or nonzero for forms with negative outputs) of a 16 x 16 block (row r: output j0 + r for the 16 lanes) to the lanes' outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EmitBlock<TForm>(float* block, int j0, int* outIndex, float* outValue, int laneStride, int* counts) where TForm : struct, IKernelForm
    {
        if (UsesAvx512) Avx512Kernels.EmitBlock<TForm>(block, j0, outIndex, outValue, laneStride, counts);
        else EmitBlockScalar<TForm>(block, j0, outIndex, outValue, laneStride, counts);
    }

    /// <summary>Entry by entry, found row by row from the kept-lane bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EmitBlockScalar<TForm>(float* block, int j0, int* outIndex, float* outValue, int laneStride, int* counts) where TForm : struct, IKernelForm
    {
        for (int r = 0; r < Width; r++)
        {
            var row = TVector.Load(block + r * Width);
            uint bits = TForm.KeepsNegatives ? TVector.NonZeroLanes(row) : TVector.PositiveLanes(row);
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
