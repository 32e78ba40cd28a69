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
    /// <summary>
    /// Threads per group: a group's stage takes most of a multiprocessor's shared memory, so one
    /// group is all a multiprocessor runs; 32 warps hide the weights' L2 latency (the first
    /// device run, with 16, was latency-bound at small tile widths).
    /// </summary>
    public const int GroupSize = 1024;

    /// <summary>
    /// Stages up to this size run in groups of half the threads, two per multiprocessor (the
    /// H200's 228 KB of shared memory hold two), so one group's staging and epilogue overlap
    /// the other's sums.
    /// </summary>
    public const long HalfGroupStageBytes = 100 * 1024;

    /// <summary>Threads per group on ILGPU's CPU simulator, which runs every thread as a thread of its own: the kernel takes any multiple of 32 up to <see cref="GroupSize"/>.</summary>
    public const int SimulatedGroupSize = 256;

    internal const int MaxWarps = GroupSize / WarpSize;

    /// <summary>Launch bounds: groups of up to 1024 (64 registers a thread: one group of 1024 or two of 512 per multiprocessor).</summary>
    public static KernelSpecialization Specialization => new(GroupSize, 1);

    /// <summary>Launch bounds on the CPU simulator, whose groups have at most <see cref="SimulatedGroupSize"/> threads.</summary>
    public static KernelSpecialization SimulatedSpecialization => new(SimulatedGroupSize, 1);

    /// <summary>Computes layer <see cref="ProgramArgs.FirstLayer"/> for the tile of live columns Grid.IdxX.</summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TSums">The tile width (live columns per group).</typeparam>
    /// <typeparam name="TChunk">How many weight rows are read ahead (fewer for wide tiles, whose sums take more registers).</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TSums, TChunk, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
        where TChunk : struct, ISlotChunk<TChunk>
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.GetDynamic<float>();
        var warpMasks = SharedMemory.Allocate<int>(MaxWarps);
        var tileColumns = SharedMemory.Allocate<int>(16);
        int columns = default(TSums).Columns, pitch = default(TSums).Pitch;
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
        int neurons = form.Inputs(a);

        if (Group.IdxX < columns) tileColumns[Group.IdxX] = Group.IdxX < valid ? live[first + Group.IdxX] : -1;
        int tid = Group.IdxX, warp = tid / WarpSize, lane = tid % WarpSize, warps = Group.DimX / WarpSize;
        // Input parts: every block has the same number of stages, one per part (ResidentLayerPlanner).
        int parts = a.BlockStages[layer.BlockStages + 1] - a.BlockStages[layer.BlockStages];
        int mask = 0;
        for (int part = 0; part < parts; part++)
        {
            // Every warp is done with the previous part's stage (the first: the tile's columns are visible).
            Group.Barrier();
            int from = a.StageStarts[layer.StageStarts + part];
            int to = part + 1 < parts ? a.StageStarts[layer.StageStarts + part + 1] : neurons;
            // Second copies of the first inputs where the stage leaves room (tiles of four columns: the planner pointed slots at them).
            bool inexact = Stage(a, input, tileColumns, columns, pitch, from, to - from, stage, layer, StageCopies.Count(to - from, a.StageCapacity));
            // Every thread learns whether all staged inputs keep the products exact (per part:
            // fused products are taken only where they equal the rounded ones).
            bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;
            // Sixteen columns' sums leave no registers for two chunks in turn (ptxas: 44 B of spills).
            bool inTurn = columns <= 8;
            mask |= fused
                ? ComputeSlices<TFused, TSums, TChunk, TForms>(a, default, layer, form, output, first, valid, warp, warps, lane, stage, part, parts, inTurn)
                : ComputeSlices<RoundedProductSum, TSums, TChunk, TForms>(a, RoundedProductSum.For(a), layer, form, output, first, valid, warp, warps, lane, stage, part, parts, inTurn);
        }

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
    /// Copies input neuron i's values of the tile's columns to stage[i * pitch + t] (0 for
    /// columns past the live ones), entry e = i * columns + t spread over the group, eight loads
    /// in flight per thread; returns whether a staged value breaks the exact-product bounds.
    /// The caller's barrier makes the stage visible.
    /// </summary>
    internal static bool Stage(ProgramArgs a, ArrayView<float> input, ArrayView<int> tileColumns, int columns, int pitch, int neurons,
        ArrayView<float> stage, LayerBases layer) => Stage(a, input, tileColumns, columns, pitch, 0, neurons, stage, layer);

    /// <summary>
    /// As the other overload, for the <paramref name="neurons"/> inputs from <paramref name="from"/> on (one part of the inputs): input from + i at stage[i * pitch + t],
    /// and for i below <paramref name="copies"/> also at the copy's place (<see cref="StageCopies.Position"/>; pitch 4).
    /// </summary>
    internal static bool Stage(ProgramArgs a, ArrayView<float> input, ArrayView<int> tileColumns, int columns, int pitch, int from, int neurons,
        ArrayView<float> stage, LayerBases layer, int copies = 0)
    {
        input = input.SubView((long)from * a.Stride);
        int entries = neurons * columns, step = Group.DimX;
        float low = layer.ProductLow, high = layer.ProductHigh;
        bool inexact = false;
        for (int e0 = Group.IdxX; e0 < entries; e0 += 8 * step)
        {
            float v0 = StageLoad(a, input, tileColumns, e0, entries, columns);
            float v1 = StageLoad(a, input, tileColumns, e0 + step, entries, columns);
            float v2 = StageLoad(a, input, tileColumns, e0 + 2 * step, entries, columns);
            float v3 = StageLoad(a, input, tileColumns, e0 + 3 * step, entries, columns);
            float v4 = StageLoad(a, input, tileColumns, e0 + 4 * step, entries, columns);
            float v5 = StageLoad(a, input, tileColumns, e0 + 5 * step, entries, columns);
            float v6 = StageLoad(a, input, tileColumns, e0 + 6 * step, entries, columns);
            float v7 = StageLoad(a, input, tileColumns, e0 + 7 * step, entries, columns);
            StageStore(stage, e0, entries, columns, pitch, v0, copies, neurons);
            StageStore(stage, e0 + step, entries, columns, pitch, v1, copies, neurons);
            StageStore(stage, e0 + 2 * step, entries, columns, pitch, v2, copies, neurons);
            StageStore(stage, e0 + 3 * step, entries, columns, pitch, v3, copies, neurons);
            StageStore(stage, e0 + 4 * step, entries, columns, pitch, v4, copies, neurons);
            StageStore(stage, e0 + 5 * step, entries, columns, pitch, v5, copies, neurons);
            StageStore(stage, e0 + 6 * step, entries, columns, pitch, v6, copies, neurons);
            StageStore(stage, e0 + 7 * step, entries, columns, pitch, v7, copies, neurons);
            inexact |= !ExactProducts.Passes(v0, low, high) | !ExactProducts.Passes(v1, low, high)
                | !ExactProducts.Passes(v2, low, high) | !ExactProducts.Passes(v3, low, high)
                | !ExactProducts.Passes(v4, low, high) | !ExactProducts.Passes(v5, low, high)
                | !ExactProducts.Passes(v6, low, high) | !ExactProducts.Passes(v7, low, high);
        }
        return inexact;
    }

    /// <summary>Entry e's input value: input e / columns of tile column e % columns (0 past the entries or the live columns).</summary>
    private static float StageLoad(ProgramArgs a, ArrayView<float> input, ArrayView<int> tileColumns, int e, int entries, int columns)
    {
        if (e >= entries) return 0f;
        int i = e / columns;
        int column = tileColumns[e - i * columns];
        return column >= 0 ? input[i * a.Stride + column] : 0f;
    }

    private static void StageStore(ArrayView<float> stage, int e, int entries, int columns, int pitch, float value, int copies, int inputs)
    {
        if (e >= entries) return;
        int i = e / columns, t = e - i * columns;
        stage[i * pitch + t] = value;
        if (i < copies) stage[StageCopies.Position(i, inputs) * pitch + t] = value;
    }

    /// <summary>One warp's slice of a layer's outputs: this lane's output (-1: none), its thread in the layout, and the slice's warp rows in one part of the inputs.</summary>
    private struct Slice
    {
        public long Thread;
        public int Output, FirstRow, EndRow;

        public static Slice Of(ProgramArgs a, LayerBases layer, int slice, int lane, int part)
        {
            int block = slice / WarpsPerBlock, blockWarp = slice % WarpsPerBlock;
            long warpRow = layer.WarpRows + ((long)a.BlockStages[layer.BlockStages + block] + part) * WarpsPerBlock + blockWarp;
            long thread = (long)block * BlockRows + blockWarp * WarpSize + lane;
            return new Slice { Thread = thread, Output = a.Outputs[layer.Outputs + thread], FirstRow = a.WarpRows[warpRow], EndRow = a.WarpRows[warpRow + 1] };
        }
    }

    /// <summary>
    /// Computes this warp's slices (slice warp, warp + warps, ...) for the tile's columns and
    /// writes their activations; returns the columns with a nonzero output. Each lane adds its
    /// slots in slot order (ascending input). The weights stream in chunks of eight warp rows,
    /// the next chunk (of this slice, or the next slice's first) loaded while the current one
    /// is added: the first device runs were bound by the latency of these L2 reads.
    /// With input parts, part <paramref name="part"/> of <paramref name="parts"/> goes on from the
    /// sums the previous part left in the output rows (the same thread wrote them) and, but for
    /// the last part, leaves its sums there: a float kept whole, so the order of additions and
    /// every rounding stay the reference's. <paramref name="inTurn"/>: whether chunks that allow
    /// it (<see cref="ISlotChunk{TSelf}.InTurn"/>) are held two in turn, where registers allow
    /// (the tail program's layer loop keeps more live: there two in turn spill, ptxas 24-36 B).
    /// </summary>
    internal static int ComputeSlices<TSum, TSums, TChunk, TForms>(ProgramArgs a, TSum add, LayerBases layer, TForms form, ArrayView<float> output, int first, int valid,
        int warp, int warps, int lane, ArrayView<float> stage, int part = 0, int parts = 1, bool inTurn = true)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
        where TChunk : struct, ISlotChunk<TChunk>
        where TForms : struct, IKernelLayerForms<TForms>
    {
        int total = layer.Blocks * WarpsPerBlock, mask = 0;
        if (warp >= total) return 0;
        var current = Slice.Of(a, layer, warp, lane, part);
        int rows = default(TChunk).Rows;
        var ahead = default(TChunk).Load(a, layer.Slots, current.FirstRow, current.EndRow, lane);
        for (int slice = warp; slice < total; slice += warps)
        {
            bool more = slice + warps < total;
            var following = more ? Slice.Of(a, layer, slice + warps, lane, part) : current;
            // Addresses are worked out where used, not held over the loop (registers).
            var sums = part > 0 && current.Output >= 0 ? default(TSums).Read(output, (long)current.Output * a.Stride + first, valid) : default;
            // The last part's bias and copy range, read now so that they arrive while the rows
            // are added (read where used, each was a round trip the warp waited for).
            bool last = part + 1 == parts && current.Output >= 0;
            float bias = last ? a.Bias[layer.Bias + current.Output] : 0f;
            long copyAt = layer.CopyStarts + current.Thread;
            int c0 = last ? a.CopyStarts[copyAt] : 0, c1 = last ? a.CopyStarts[copyAt + 1] : 0;
            int r = current.FirstRow, end = current.EndRow;
            // Rows past the slice's end have weight +0: adding +0 leaves every sum as it is.
            // An empty slice only hands on the following slice's first rows.
            if (r >= end) ahead = LoadAfter<TChunk>(a, layer, r, end, more, following, lane);
            else if (inTurn && default(TChunk).InTurn)
            {
                // Two chunks in turn: each is loaded while the other is added, so the loop
                // carries no copy of a chunk (with one "next" chunk ptxas moved all its registers every step).
                while (true)
                {
                    var behind = LoadAfter<TChunk>(a, layer, r + rows, end, more, following, lane);
                    sums = ahead.AddTo(add, sums, stage, end - r);
                    r += rows;
                    if (r >= end)
                    {
                        ahead = behind;
                        break;
                    }
                    ahead = LoadAfter<TChunk>(a, layer, r + rows, end, more, following, lane);
                    sums = behind.AddTo(add, sums, stage, end - r);
                    r += rows;
                    if (r >= end) break;
                }
            }
            else
            {
                for (; r < end; r += rows)
                {
                    var chunk = ahead;
                    ahead = LoadAfter<TChunk>(a, layer, r + rows, end, more, following, lane);
                    sums = chunk.AddTo(add, sums, stage, end - r);
                }
            }
            long at = (long)current.Output * a.Stride + first;
            if (current.Output >= 0 && part + 1 < parts) sums.Write(output, at, valid);
            else if (current.Output >= 0)
            {
                var activations = sums.Activated(form, bias);
                activations.Write(output, at, valid);
                mask |= activations.Mask();
                for (int c = c0; c < c1; c++) activations.Write(output, a.Copies[layer.Copies + c] * a.Stride + first, valid);
            }
            current = following;
        }
        return mask;
    }

    /// <summary>The slice's rows from <paramref name="row"/> on, or (past its <paramref name="end"/>) the following slice's first rows, or nothing after the last slice.</summary>
    private static TChunk LoadAfter<TChunk>(ProgramArgs a, LayerBases layer, int row, int end, bool more, Slice following, int lane)
        where TChunk : struct, ISlotChunk<TChunk> =>
        row < end ? default(TChunk).Load(a, layer.Slots, row, end, lane)
        : more ? default(TChunk).Load(a, layer.Slots, following.FirstRow, following.EndRow, lane)
        : default;

    /// <summary>The tile widths the kernel comes in, with the floats each staged input takes (see <see cref="IColumnSums{TSelf}.Pitch"/>), widest first.</summary>
    public static IReadOnlyList<(int Columns, int Pitch)> Widths { get; } =
        [Width<SixteenSums>(), Width<OctetSums>(), Width<QuadSums>(), Width<TripleSums>(), Width<PairSums>()];

    private static (int Columns, int Pitch) Width<TSums>() where TSums : struct, IColumnSums<TSums> => (default(TSums).Columns, default(TSums).Pitch);

    /// <summary>Shared memory the stage of <paramref name="columns"/> live columns of <paramref name="neurons"/> inputs takes, in bytes.</summary>
    public static long StageBytes(int neurons, int columns)
    {
        foreach (var (width, pitch) in Widths)
            if (width == columns) return (long)neurons * pitch * sizeof(float);
        throw new ArgumentOutOfRangeException(nameof(columns), columns, "The resident-input kernel takes 2, 3, 4, 8 or 16 columns.");
    }

    /// <summary>Live columns per group (at most <paramref name="most"/>) for a layer of <paramref name="neurons"/> inputs whose stage may take <paramref name="sharedBytes"/> (0: too wide).</summary>
    public static int ColumnsFor(int neurons, long sharedBytes, int most = 16)
    {
        foreach (var (columns, _) in Widths)
            if (columns <= most && StageBytes(neurons, columns) <= sharedBytes) return columns;
        return 0;
    }
}
