using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The resident-input kernel with each output's columns split between lanes: P neighbouring
/// lanes add the same output, each one quad (four columns) of a tile of 4P live columns, and
/// each lane adds P outputs in turn (threads g, G + g, 2G + g, ... of its warp's 32, G = 32 / P,
/// g = lane / P). It computes exactly what <see cref="ResidentInputKernel"/> would for the tile,
/// from the same layout with each warp row's slots interleaved (<see cref="ResidentLayerPlanner.SplitSlot"/>),
/// in the same order: each output's slots one after another, ascending by input.
/// <para>
/// Why: there a lane reads all its columns of its own input, and a 16-byte warp read is served
/// a quarter-warp (8 lanes, 8 random inputs) at a time, whose rows fall on the 8 bank groups with
/// an expected worst load of ~2.4: measured on the H200, 12 multiply-adds per shared wavefront of
/// a possible 32 (N = 1024, bound by shared wavefronts). Here a quarter-warp reads 8 / P inputs,
/// 16P contiguous bytes each, on bank groups that line up (16P floats per staged input): with
/// P = 4 two inputs conflict half the time (~1.5 wavefronts for 32 multiply-adds), with P = 8
/// never (one). The P lanes of an output read the P slots' indices and weights as vectors (the
/// same addresses for the P lanes), so the loads of the weights stay one per slot.
/// </para>
/// </summary>
internal static class SplitColumnKernel
{
    /// <summary>
    /// Threads a group with eight lanes an output: 512, so that a thread may hold 128 registers
    /// (32 sums, two rows of eight slots, eight staged quads: ptxas takes 122; within 64 it
    /// spilled 192 bytes). Its stage (128 bytes an input) leaves room for one group a
    /// multiprocessor at N = 1024 anyway.
    /// </summary>
    public const int EightLaneGroupSize = 512;

    /// <summary>Launch bounds for <paramref name="lanes"/> lanes an output on the device.</summary>
    public static KernelSpecialization Specialization(int lanes) => lanes == 8 ? new(EightLaneGroupSize, 1) : ResidentInputKernel.Specialization;

    /// <summary>Columns of a tile split <paramref name="lanes"/> ways (a quad per lane).</summary>
    public static int Columns(int lanes) => 4 * lanes;

    /// <summary>Shared memory the stage of a layer of <paramref name="neurons"/> inputs takes for <paramref name="lanes"/> lanes an output, in bytes (no padding: see the class remarks).</summary>
    public static long StageBytes(int neurons, int lanes) => (long)neurons * Columns(lanes) * sizeof(float);

    /// <summary>Computes layer <see cref="ProgramArgs.FirstLayer"/> for the tile of live columns Grid.IdxX.</summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TSplit">Lanes per output: the sums of a lane's outputs.</typeparam>
    /// <typeparam name="TRow">A lane group's slots of one warp row, read together.</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TSplit, TRow, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TSplit : struct, ISplitSums<TSplit, TRow>
        where TRow : struct
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.GetDynamic<float>();
        var warpMasks = SharedMemory.Allocate<int>(ResidentInputKernel.MaxWarps);
        var tileColumns = SharedMemory.Allocate<int>(32);
        int columns = Columns(default(TSplit).Lanes);
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
        long row = ((long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer + LayerChunk.ResidentRow) * LayerChunk.TableStride;
        var layer = LayerBases.Read(a, row);
        var form = default(TForms).Of(a, row, k);

        if (Group.IdxX < columns) tileColumns[Group.IdxX] = Group.IdxX < valid ? live[first + Group.IdxX] : -1;
        Group.Barrier();
        bool inexact = ResidentInputKernel.Stage(a, input, tileColumns, columns, columns, form.Inputs(a), stage, layer);
        bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;

        int tid = Group.IdxX, warp = tid / WarpSize, lane = tid % WarpSize, warps = Group.DimX / WarpSize;
        int mask = fused
            ? Slices<TFused, TSplit, TRow, TForms>(a, default, layer, form, output, stage, first, valid, warp, warps, lane)
            : Slices<RoundedProductSum, TSplit, TRow, TForms>(a, RoundedProductSum.For(a), layer, form, output, stage, first, valid, warp, warps, lane);

        // Flag the columns with a nonzero output: this group is the only one computing them.
        for (int d = WarpSize / 2; d > 0; d /= 2) mask |= Warp.ShuffleXor(mask, d);
        if (lane == 0) warpMasks[warp] = mask;
        Group.Barrier();
        if (tid < valid)
        {
            int any = 0;
            for (int w = 0; w < warps; w++) any |= warpMasks[w];
            if ((any >> tid & 1) != 0) a.Nonzeros[(k % 3) * a.NonzeroLength + first + tid] = 1;
        }
    }

    /// <summary>
    /// Computes this warp's slices (slice warp, warp + warps, ...) for this lane's quad of the
    /// columns and writes their activations; returns the tile's columns with a nonzero output.
    /// The next warp row's slots are read while the current one is added.
    /// </summary>
    private static int Slices<TSum, TSplit, TRow, TForms>(ProgramArgs a, TSum add, LayerBases layer, TForms form, ArrayView<float> output, ArrayView<float> stage,
        int first, int valid, int warp, int warps, int lane)
        where TSum : struct, IProductSum
        where TSplit : struct, ISplitSums<TSplit, TRow>
        where TRow : struct
        where TForms : struct, IKernelLayerForms<TForms>
    {
        int lanes = default(TSplit).Lanes;
        int total = layer.Blocks * WarpsPerBlock, mask = 0;
        int group = lane / lanes, quad = lane % lanes;
        // This lane's quad of each staged input: input i's at mine[i * P].
        var mine = stage.Cast<Quad>().SubView(quad);
        var target = new SplitTarget(output, first / 4 + quad, quad * 4, valid);
        for (int slice = warp; slice < total; slice += warps)
        {
            int block = slice / WarpsPerBlock, blockWarp = slice % WarpsPerBlock;
            long warpRow = layer.WarpRows + (long)a.BlockStages[layer.BlockStages + block] * WarpsPerBlock + blockWarp;
            int start = a.WarpRows[warpRow], end = a.WarpRows[warpRow + 1];
            // This lane group's slots: P of each warp row of 32, the group-th P.
            int at = (int)layer.Slots + start * WarpSize + group * lanes;
            var sums = default(TSplit);
            // Two rows in turn, each read while the other is added: the loop carries no copy of a
            // row (with one "next" row ptxas moved its registers every step).
            if (start < end)
            {
                var ahead = default(TSplit).Load(a, at);
                for (int r = start; ;)
                {
                    var behind = r + 1 < end ? default(TSplit).Load(a, at + WarpSize) : default;
                    sums = sums.Add(add, ahead, mine);
                    at += WarpSize;
                    if (++r >= end) break;
                    ahead = r + 1 < end ? default(TSplit).Load(a, at + WarpSize) : default;
                    sums = sums.Add(add, behind, mine);
                    at += WarpSize;
                    if (++r >= end) break;
                }
            }
            long thread = (long)block * BlockRows + blockWarp * WarpSize + group;
            mask |= sums.Finish(a, layer, form, target, thread);
        }
        return mask;
    }
}

/// <summary>
/// Where a lane writes its quad of an output row: quad <paramref name="quad"/> of each row, the
/// first of its columns in the tile, and the tile's live columns. Rows are padded to 16 columns
/// (<see cref="LayerKernel.Tile"/>), not 32: a quad past the live columns is not written, as it
/// may lie beyond the row (in the next one).
/// </summary>
internal readonly struct SplitTarget(ArrayView<float> output, long quad, int column, int valid)
{
    /// <summary>Bias, activation and cap of <paramref name="sums"/> for thread <paramref name="thread"/>'s output, written to it and its copies; returns the nonzero columns as tile bits.</summary>
    public int Finish<TForms>(ProgramArgs a, LayerBases layer, TForms form, long thread, Quad sums) where TForms : struct, IKernelLayerForms<TForms>
    {
        int j = a.Outputs[layer.Outputs + thread];
        if (j < 0 || column >= valid) return 0;
        var activations = QuadSums.ActivateQuad(form, sums, a.Bias[layer.Bias + j]);
        var quads = output.Cast<Quad>();
        quads[(long)j * a.Stride / 4 + quad] = activations;
        long copyAt = layer.CopyStarts + thread;
        int c0 = a.CopyStarts[copyAt], c1 = a.CopyStarts[copyAt + 1];
        for (int c = c0; c < c1; c++) quads[(long)a.Copies[layer.Copies + c] * a.Stride / 4 + quad] = activations;
        return QuadSums.QuadMask(activations) << column;
    }
}
