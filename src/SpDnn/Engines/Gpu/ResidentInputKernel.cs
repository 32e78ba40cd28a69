using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The full-width layer kernel for layers whose outputs read inputs from everywhere (random
/// connectivity: a real pruned network, the general family): one group per tile of live columns
/// stages EVERY input neuron's values for its columns in shared memory (N x Columns floats, up to
/// ~200 KB), then its warps compute every output of the layer for those columns. Each staged
/// value is read by all the outputs that use it (32 on average at 32 inputs per output), where
/// the tiled kernel's per-block footprints stage most inputs once per block. Weights are read in
/// the warp-sliced layout of <see cref="ResidentLayerPlanner"/> (slot index = input neuron),
/// from L2, once per tile. Products are summed in ascending input order, rounded (or fused where
/// every weight is a power of two and every staged input keeps the products exact), as the
/// reference sums them. The epilogue applies bias, ReLU and cap, writes each output (and its
/// copies) for the tile's columns, and flags the columns with a nonzero output for the layer
/// program, which then compacts the live list (<see cref="ProgramArgs.PrecomputedLayer"/>).
/// </summary>
internal static class ResidentInputKernel
{
    public const int GroupSize = 512;
    private const int Warps = GroupSize / WarpSize;

    /// <summary>Launch bounds: two groups of 512 per multiprocessor (64 registers a thread) where shared memory allows.</summary>
    public static KernelSpecialization Specialization => new(GroupSize, 2);

    /// <summary>Computes layer <see cref="ProgramArgs.FirstLayer"/> for the tile of live columns Grid.IdxX.</summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TSums">The tile width (live columns per group).</typeparam>
    public static void Run<TFused, TSums>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        var stage = SharedMemory.GetDynamic<float>();
        var warpMasks = SharedMemory.Allocate<int>(Warps);
        int columns = default(TSums).Columns;
        int k = a.FirstLayer;
        int rows = a.LiveRows[k];
        int first = Grid.IdxX * columns;
        // The host sizes the grid by an upper bound of the live rows: surplus groups leave at once.
        if (first >= rows) return;
        int valid = Math.Min(columns, rows - first);
        bool odd = (k & 1) != 0;
        var input = odd ? a.Features1 : a.Features0;
        var output = odd ? a.Features0 : a.Features1;
        var live = odd ? a.Live1 : a.Live0;
        var layer = LayerBases.Read(a, ((long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer + LayerChunk.ResidentRow) * LayerChunk.TableStride);
        int neurons = a.Neurons;

        bool inexact = Stage(a, input, live, first, valid, columns, neurons, stage, layer);
        // Every thread learns whether all staged inputs keep the products exact.
        bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;

        int tid = Group.IdxX, warp = tid / WarpSize, lane = tid % WarpSize;
        int mask = 0;
        for (int slice = warp; slice < layer.Blocks * WarpsPerBlock; slice += Warps)
        {
            int block = slice / WarpsPerBlock, blockWarp = slice % WarpsPerBlock;
            long thread = (long)block * BlockRows + blockWarp * WarpSize + lane;
            int j = a.Outputs[layer.Outputs + thread];
            long warpRow = layer.WarpRows + (long)a.BlockStages[layer.BlockStages + block] * WarpsPerBlock + blockWarp;
            int r0 = a.WarpRows[warpRow], r1 = a.WarpRows[warpRow + 1];
            var sums = fused
                ? Accumulate<TFused, TSums>(a, default, layer.Slots, r0, r1, lane, stage)
                : Accumulate<RoundedProductSum, TSums>(a, RoundedProductSum.For(a), layer.Slots, r0, r1, lane, stage);
            if (j < 0) continue;
            var activations = sums.Activated(a.Bias[layer.Bias + j]);
            activations.Write(output, j * a.Stride + first);
            mask |= activations.Mask();
            long copyAt = layer.CopyStarts + thread;
            int c0 = a.CopyStarts[copyAt], c1 = a.CopyStarts[copyAt + 1];
            for (int c = c0; c < c1; c++) activations.Write(output, a.Copies[layer.Copies + c] * a.Stride + first);
        }

        // Flag the columns with a nonzero output: this group is the only one computing them.
        for (int d = WarpSize / 2; d > 0; d /= 2) mask |= Warp.ShuffleXor(mask, d);
        if (lane == 0) warpMasks[warp] = mask;
        Group.Barrier();
        if (tid < valid)
        {
            int any = 0;
            for (int w = 0; w < Warps; w++) any |= warpMasks[w];
            if ((any >> tid & 1) != 0) a.Nonzeros[(k % 3) * a.NonzeroLength + first + tid] = 1;
        }
    }

    /// <summary>
    /// Copies input neuron i's values of the tile's columns to stage[i * columns + t] (0 for
    /// columns past the live ones), eight loads in flight per thread; returns whether a staged
    /// value breaks the exact-product bounds. The caller's barrier makes the stage visible.
    /// </summary>
    private static bool Stage(ProgramArgs a, ArrayView<float> input, ArrayView<int> live, int first, int valid, int columns, int neurons,
        ArrayView<float> stage, LayerBases layer)
    {
        int tid = Group.IdxX, t = tid % columns, step = GroupSize / columns;
        long column = t < valid ? live[first + t] : -1;
        float low = layer.ProductLow, high = layer.ProductHigh;
        bool inexact = false;
        for (int i0 = tid / columns; i0 < neurons; i0 += 8 * step)
        {
            float v0 = StageLoad(a, input, i0, neurons, column);
            float v1 = StageLoad(a, input, i0 + step, neurons, column);
            float v2 = StageLoad(a, input, i0 + 2 * step, neurons, column);
            float v3 = StageLoad(a, input, i0 + 3 * step, neurons, column);
            float v4 = StageLoad(a, input, i0 + 4 * step, neurons, column);
            float v5 = StageLoad(a, input, i0 + 5 * step, neurons, column);
            float v6 = StageLoad(a, input, i0 + 6 * step, neurons, column);
            float v7 = StageLoad(a, input, i0 + 7 * step, neurons, column);
            StageStore(stage, i0, neurons, columns, t, v0);
            StageStore(stage, i0 + step, neurons, columns, t, v1);
            StageStore(stage, i0 + 2 * step, neurons, columns, t, v2);
            StageStore(stage, i0 + 3 * step, neurons, columns, t, v3);
            StageStore(stage, i0 + 4 * step, neurons, columns, t, v4);
            StageStore(stage, i0 + 5 * step, neurons, columns, t, v5);
            StageStore(stage, i0 + 6 * step, neurons, columns, t, v6);
            StageStore(stage, i0 + 7 * step, neurons, columns, t, v7);
            inexact |= !ExactProducts.Passes(v0, low, high) | !ExactProducts.Passes(v1, low, high)
                | !ExactProducts.Passes(v2, low, high) | !ExactProducts.Passes(v3, low, high)
                | !ExactProducts.Passes(v4, low, high) | !ExactProducts.Passes(v5, low, high)
                | !ExactProducts.Passes(v6, low, high) | !ExactProducts.Passes(v7, low, high);
        }
        return inexact;
    }

    private static float StageLoad(ProgramArgs a, ArrayView<float> input, int i, int neurons, long column) =>
        i < neurons && column >= 0 ? input[i * a.Stride + column] : 0f;

    private static void StageStore(ArrayView<float> stage, int i, int neurons, int columns, int t, float value)
    {
        if (i < neurons) stage[i * columns + t] = value;
    }

    /// <summary>
    /// Sums this lane's slots of warp rows r .. r1-1 for every column of the tile, in slot order
    /// (ascending input); weights four rows at a time, the next four loaded before the current
    /// ones are used.
    /// </summary>
    private static TSums Accumulate<TSum, TSums>(ProgramArgs a, TSum add, long slots, int r, int r1, int lane, ArrayView<float> stage)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        var sums = default(TSums);
        long p = slots + (long)r * WarpSize + lane;
        var next = r + 4 <= r1 ? SlotQuad.Load(a, p) : default;
        for (; r + 4 <= r1; r += 4)
        {
            var quad = next;
            p += 4 * WarpSize;
            if (r + 8 <= r1) next = SlotQuad.Load(a, p);
            sums = sums.Add(add, stage, quad.I0, quad.W0);
            sums = sums.Add(add, stage, quad.I1, quad.W1);
            sums = sums.Add(add, stage, quad.I2, quad.W2);
            sums = sums.Add(add, stage, quad.I3, quad.W3);
        }
        for (; r < r1; r++, p += WarpSize) sums = sums.Add(add, stage, a.SlotIndex[p], a.SlotValue[p]);
        return sums;
    }

    /// <summary>Live columns per group for a layer of <paramref name="neurons"/> inputs whose stage may take <paramref name="sharedBytes"/> (0: too wide).</summary>
    public static int ColumnsFor(int neurons, long sharedBytes)
    {
        foreach (int columns in (ReadOnlySpan<int>)[16, 8, 4, 2])
            if ((long)neurons * columns * sizeof(float) <= sharedBytes) return columns;
        return 0;
    }
}
