using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>Arguments of one launch of <see cref="LayerProgram"/>: a chunk of layers and the run's state.</summary>
internal struct ProgramArgs
{
    // The chunk (see LayerChunk): layer i of the chunk has table rows 2i (full layout) and 2i + 1
    // (duplicate outputs merged), each LayerChunk.TableStride entries.
    public ArrayView<long> Table;
    public ArrayView<int> Outputs;
    public ArrayView<int> CopyStarts;
    public ArrayView<int> Copies;
    public ArrayView<int> BlockStages;
    public ArrayView<int> StageStarts;
    public ArrayView<int> Footprint;
    public ArrayView<int> WarpRows;
    public ArrayView<ushort> SlotIndex;
    public ArrayView<float> SlotValue;
    public ArrayView<float> Bias;
    /// <summary>Network index of the chunk's first layer.</summary>
    public int ChunkFirstLayer;

    // The run: features neuron-major (neuron i of column c at i * Stride + c); layer k reads
    // the buffers of parity k % 2 and writes the others.
    public ArrayView<float> Features0, Features1;
    /// <summary>Live[p]: the input column of live position p.</summary>
    public ArrayView<int> Live0, Live1;
    /// <summary>Image slot (batch row) and multiplicity (images a collapsed column stands for) per position.</summary>
    public ArrayView<int> Slot0, Slot1, Multiplicity0, Multiplicity1;
    /// <summary>LiveRows[k]: live positions before layer k.</summary>
    public ArrayView<int> LiveRows;
    /// <summary>LiveImages[k]: images alive after layer k.</summary>
    public ArrayView<int> LiveImages;
    /// <summary>
    /// Per live position, whether the layer's output is nonzero (count of groups that saw one):
    /// three buffers of <see cref="NonzeroLength"/>, layer k using buffer k % 3.
    /// </summary>
    public ArrayView<int> Nonzeros;
    public int NonzeroLength;
    /// <summary>Per group: kept positions and kept images of its part of the compaction.</summary>
    public ArrayView<int> Partials;
    /// <summary>Arrivals at the grid barrier (zero at launch), then a flag set when a barrier timed out.</summary>
    public ArrayView<int> Barrier;
    /// <summary>CPU simulator only: polls after which a grid barrier gives up (0: never; the device uses its timer).</summary>
    public int PollLimit;
    /// <summary>Device only: nanoseconds a group waits at a grid barrier before it flags a timeout.</summary>
    public long BarrierTimeoutNanoseconds;
    /// <summary>Nonzero: layers whose weights and staged inputs keep every product exact use fused multiply-adds.</summary>
    public int FusedProducts;
    /// <summary>Always 0; the kernel cannot know that, so the rounded products cannot be contracted (RoundedProductSum).</summary>
    public int OpaqueZero;
    /// <summary>Layers FirstLayer .. EndLayer-1 run in this launch (all in the chunk).</summary>
    public int FirstLayer, EndLayer;
    /// <summary>
    /// A layer whose outputs and nonzero flags <see cref="ResidentInputKernel"/> has already
    /// written (-1: none): the program only compacts its live list. The resident kernel computes
    /// layer FirstLayer.
    /// </summary>
    public int PrecomputedLayer;
    public long Stride;
    /// <summary>Input neurons of the first layer (of every layer in the challenge's form).</summary>
    public int Neurons;
    /// <summary>
    /// <see cref="GeneralLayers"/> only: the compaction after each layer below this index keeps
    /// positions whose output is all zero, since a later layer adds its bias always and would
    /// bring them back; from here on such positions are dropped for good.
    /// </summary>
    public int ZeroRowsKeptBefore;
    /// <summary><see cref="ImageBitsKernel"/> only: the value every nonzero pixel has.</summary>
    public float ImageValue;
    /// <summary><see cref="ImageBitsKernel"/> only: nonzero where a tile's bits are copied to shared memory first (they fit).</summary>
    public int ImageBitsStaged;
    /// <summary><see cref="ResidentInputKernel"/> only: the stage's size in 16-byte quads where it keeps copies of the inputs (<see cref="StageCopies"/>); 0: none.</summary>
    public int StageCapacity;
    /// <summary>Live rows up to which every group compacts the list itself (at most <see cref="LayerProgram.MaxInGroupRows"/>).</summary>
    public int InGroupRows;
    /// <summary>Nonzero: the grid barrier's last arrival raises a release word the others poll; else they poll the arrivals.</summary>
    public int ReleaseWordBarrier;
}

/// <summary>Where one layer's arrays start in its chunk (read from the chunk's table).</summary>
internal struct LayerBases
{
    public long Outputs, CopyStarts, Copies, BlockStages, StageStarts, Footprint, WarpRows, Slots, Bias;
    public int Blocks;
    /// <summary>Staged inputs y with y == 0 or ProductLow &lt;= |y| &lt; ProductHigh have exact products with every weight.</summary>
    public float ProductLow, ProductHigh;

    /// <summary>The bases of the layout in table row <paramref name="row"/> (an index of its first entry).</summary>
    public static LayerBases Read(ProgramArgs a, long row)
    {
        long bounds = a.Table[row + LayerChunk.ProductBounds];
        return new LayerBases
        {
            Outputs = a.Table[row + LayerChunk.OutputsBase],
            CopyStarts = a.Table[row + LayerChunk.CopyStartsBase],
            Copies = a.Table[row + LayerChunk.CopiesBase],
            BlockStages = a.Table[row + LayerChunk.BlockStagesBase],
            StageStarts = a.Table[row + LayerChunk.StageStartsBase],
            Footprint = a.Table[row + LayerChunk.FootprintBase],
            WarpRows = a.Table[row + LayerChunk.WarpRowsBase],
            Slots = a.Table[row + LayerChunk.SlotBase],
            Bias = a.Table[row + LayerChunk.BiasBase],
            Blocks = (int)a.Table[row + LayerChunk.BlockCount],
            ProductLow = Interop.IntAsFloat((uint)bounds),
            ProductHigh = Interop.IntAsFloat((uint)(bounds >> 32)),
        };
    }
}

/// <summary>
/// A persistent kernel that runs several layers in one launch. Its groups (no more than can be
/// resident at once, so a software grid barrier is safe) share each layer's work items (output
/// block x tile of live positions) and then compact the live list together: count the kept
/// positions of their part, barrier, write them at their offsets, barrier. One launch runs up
/// to a chunk of layers, so the host takes part only at checkpoints (collapse attempts, grid
/// sizing) and 1920-layer networks need a few dozen launches.
/// </summary>
internal static class LayerProgram
{
    public const int GroupSize = BlockRows;
    private const int Warps = GroupSize / WarpSize;

    /// <summary>Live positions a thread of <see cref="CompactInGroup"/> takes.</summary>
    private const int InGroupRowsPerThread = 8;

    /// <summary>
    /// Most live rows every group compacts on its own (<see cref="CompactInGroup"/>): the
    /// challenge networks' converged rows (1801 to 1994) fit. Its list is kept as 16-bit
    /// positions: 4 KB of shared memory, within the 48 KB a group may hold statically.
    /// </summary>
    public const int MaxInGroupRows = GroupSize * InGroupRowsPerThread;

    /// <summary>
    /// Grid barrier words (<see cref="GridBarrier"/>): arrivals, this launch's poison claim (on
    /// the arrivals' line: written only on a timeout), the release epoch on a line of its own
    /// (pollers do not queue behind arrivals), and the failure flag, which stays until the host
    /// has read it (a launch resets all but the flag: with lagged checkpoints a launch may start
    /// before the host has read a failure of the one before, and must still be able to end).
    /// </summary>
    public const int ArrivalWord = 0, PoisonClaimWord = 1, ReleaseWord = 32, FailureWord = 64, BarrierWords = 65;

    /// <summary>
    /// Launch bounds: groups of <see cref="GroupSize"/>, four per multiprocessor. The kernel is
    /// latency-bound, so resident warps matter; ptxas (11.8, sm_90) fits it in 64 registers
    /// without spilling, against 72 and three groups unbounded.
    /// </summary>
    public static KernelSpecialization Specialization => new(GroupSize, 4);

    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.Allocate<Quad>(LayerKernel.StageQuads);
        var footprint = SharedMemory.Allocate<int>(TiledLayout.StageEntries);
        var columns = SharedMemory.Allocate<int>(LayerKernel.Tile);
        var warpMasks = SharedMemory.Allocate<int>(Warps);
        var scratch = SharedMemory.Allocate<int>(Warps + 2);
        // With few rows every group compacts the whole live list itself, into shared memory:
        // one grid barrier per layer instead of three (see CompactInGroup).
        var liveInGroup = SharedMemory.Allocate<ushort>(MaxInGroupRows);
        bool listInGroup = false;
        int rows = 0;
        int epoch = 0;
        for (int k = a.FirstLayer; k < a.EndLayer; k++)
        {
            if (!listInGroup)
            {
                // One atomic read per group, shared: every thread reading it would queue on one address.
                if (Group.IdxX == 0) scratch[Warps] = LoadAcquire(a.LiveRows, k);
                Group.Barrier();
                rows = scratch[Warps];
            }
            // Every group has the same count (read after the last grid barrier, or computed from
            // the same counts): all leave together.
            if (rows == 0) return;
            bool odd = (k & 1) != 0;
            var input = odd ? a.Features1 : a.Features0;
            var output = odd ? a.Features0 : a.Features1;
            var live = new LiveList(odd ? a.Live1 : a.Live0, liveInGroup, listInGroup);
            var nonzeros = NonzerosOf(a, k);
            // Counts rotate over three buffers: layer k+1's were last read at layer k-2, by every
            // group before the barrier that ended layer k-1, and are next added to after the
            // barrier that ends this layer. Compaction in the group leaves its counts set (the
            // other compaction resets them): those of positions below this layer's rows are the
            // ones the next layer adds to (rows never grow within a run).
            if (Grid.IdxX == 0)
            {
                var upcoming = NonzerosOf(a, k + 1);
                int set = Math.Min(rows, Math.Min(a.InGroupRows, a.NonzeroLength));
                for (int p = Group.IdxX; p < set; p += GroupSize) upcoming[p] = 0;
            }
            // The layout computing duplicate outputs once does a fraction of the work in fewer,
            // longer items (fewer blocks, wider footprints): taken while its items alone fill
            // the grid (early, many live rows), else the full layout (late, few rows), whose
            // more and shorter items finish sooner. Every group sees the same rows: one choice.
            int tiles = (rows + LayerKernel.Tile - 1) / LayerKernel.Tile;
            long row = (long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer * LayerChunk.TableStride;
            if (a.Table[row + LayerChunk.TableStride + LayerChunk.BlockCount] * tiles >= Grid.DimX) row += LayerChunk.TableStride;
            var layer = LayerBases.Read(a, row);
            var form = default(TForms).Of(a, row, k);
            // With at least as many groups as blocks, each group keeps one block for the whole
            // layer (its neurons, footprint and slot ranges loaded once) and takes every
            // groupsPerBlock-th tile; neighbouring groups take the blocks of one tile, so they
            // read the same input columns. Otherwise groups take (block, tile) items in turn.
            // One call site either way: each call site is another inlined copy of the whole tile
            // code (v8 had two, and twice the kernel lost ptxas's clean-up of inline-PTX outputs).
            bool blockPerGroup = Grid.DimX >= layer.Blocks;
            int groupsPerBlock = blockPerGroup ? Grid.DimX / layer.Blocks : 0;
            int end = k == a.PrecomputedLayer ? 0
                : !blockPerGroup ? layer.Blocks * tiles : Grid.IdxX < groupsPerBlock * layer.Blocks ? Grid.IdxX + 1 : 0;
            int step = blockPerGroup ? 1 : Grid.DimX;
            int tileStep = blockPerGroup ? groupsPerBlock : tiles;
            for (int item = Grid.IdxX; item < end; item += step)
                LayerKernel.ComputeBlock<TFused, TForms>(a, layer, form, input, output, live, nonzeros, rows, item % layer.Blocks, item / layer.Blocks, tileStep,
                    stage, footprint, columns, warpMasks);
            epoch = GridBarrier(a, epoch);

            if (rows <= a.InGroupRows)
            {
                rows = CompactInGroup(a, k, rows, odd, nonzeros, form.KeepsZeroRows, liveInGroup, scratch);
                listInGroup = true;
                continue;
            }
            listInGroup = false;
            int part = (rows + Grid.DimX - 1) / Grid.DimX;
            int lo = Math.Min(rows, Grid.IdxX * part), hi = Math.Min(rows, lo + part);
            var multiplicityIn = odd ? a.Multiplicity1 : a.Multiplicity0;
            CountKept(a, nonzeros, lo, hi, multiplicityIn, form.KeepsZeroRows, scratch);
            epoch = GridBarrier(a, epoch);
            WriteKept(a, k, lo, hi, odd, nonzeros, form.KeepsZeroRows, scratch);
            epoch = GridBarrier(a, epoch);
        }
    }

    /// <summary>Layer k's nonzero counts per live position (one of three rotating buffers).</summary>
    internal static ArrayView<int> NonzerosOf(ProgramArgs a, int k) => a.Nonzeros.SubView((k % 3) * a.NonzeroLength, a.NonzeroLength);

    /// <summary>
    /// Compaction of at most <see cref="MaxInGroupRows"/> rows by every group on its own, right
    /// after the layer's grid barrier: each reads all counts (a thread eight neighbouring
    /// positions), scans them, and keeps the new live list in shared memory for the next layer,
    /// so no further grid barrier is needed. The lists for the host and for a later launch
    /// (live positions, slots, multiplicities) are written by all groups, each its share; group
    /// 0 records the rows kept and every group adds its share's images. Returns the rows kept
    /// (with <paramref name="keepZeroRows"/>, every row; the live images count only those with
    /// a nonzero output).
    /// </summary>
    private static int CompactInGroup(ProgramArgs a, int k, int rows, bool odd, ArrayView<int> nonzeros, bool keepZeroRows, ArrayView<ushort> liveInGroup,
        ArrayView<int> scratch)
    {
        int first = Group.IdxX * InGroupRowsPerThread;
        int keptBits = 0, count = 0;
        for (int i = 0; i < InGroupRowsPerThread; i++)
        {
            int p = first + i;
            if (p >= rows || (!keepZeroRows && nonzeros[p] == 0)) continue;
            keptBits |= 1 << i;
            count++;
        }
        var kept = ScanKept(count, scratch);
        int q = kept.Before;
        for (int i = 0; i < InGroupRowsPerThread; i++)
            if ((keptBits & (1 << i)) != 0) liveInGroup[q++] = (ushort)(first + i);
        Group.Barrier();
        int total = kept.Total;
        int share = (total + Grid.DimX - 1) / Grid.DimX;
        int lo = Math.Min(total, Grid.IdxX * share), hi = Math.Min(total, lo + share);
        int images = 0;
        for (int r = lo + Group.IdxX; r < hi; r += GroupSize)
        {
            int p = liveInGroup[r];
            int multiplicity = WriteKeptPosition(a, odd, r, p);
            if (nonzeros[p] > 0) images += multiplicity; // a kept zero row (keepZeroRows) is not a live image
        }
        images = GroupSum(images, scratch);
        if (Group.IdxX == 0)
        {
            if (images != 0) Atomic.Add(ref a.LiveImages[k], images);
            if (Grid.IdxX == 0) a.LiveRows[k + 1] = total;
        }
        return total;
    }

    /// <summary>
    /// Counts this group's kept positions (a nonzero output, or any with <paramref name="keepZeroRows"/>)
    /// and their images (those with a nonzero output) into Partials.
    /// </summary>
    private static void CountKept(ProgramArgs a, ArrayView<int> nonzeros, int lo, int hi, ArrayView<int> multiplicity, bool keepZeroRows, ArrayView<int> scratch)
    {
        int kept = 0, images = 0;
        for (int p = lo + Group.IdxX; p < hi; p += GroupSize)
        {
            if (nonzeros[p] == 0) continue;
            kept++;
            images += multiplicity[p];
        }
        kept = GroupSum(kept, scratch);
        images = GroupSum(images, scratch);
        if (keepZeroRows) kept = hi - lo;
        if (Group.IdxX == 0)
        {
            a.Partials[2 * Grid.IdxX] = kept;
            a.Partials[2 * Grid.IdxX + 1] = images;
        }
    }

    /// <summary>
    /// Writes this group's kept positions, in ascending order, after those of the groups before
    /// it (so the next layer reads nearly contiguous columns), with their slots and
    /// multiplicities; resets the nonzero counts; the first group records the totals.
    /// </summary>
    private static void WriteKept(ProgramArgs a, int k, int lo, int hi, bool odd, ArrayView<int> nonzeros, bool keepZeroRows, ArrayView<int> scratch)
    {
        int tid = Group.IdxX, g = Grid.IdxX;
        int before = 0, total = 0, images = 0;
        for (int h = tid; h < Grid.DimX; h += GroupSize)
        {
            int kept = a.Partials[2 * h];
            total += kept;
            images += a.Partials[2 * h + 1];
            if (h < g) before += kept;
        }
        before = GroupSum(before, scratch);
        total = GroupSum(total, scratch);
        images = GroupSum(images, scratch);
        if (g == 0 && tid == 0)
        {
            a.LiveRows[k + 1] = total;
            a.LiveImages[k] = images;
        }
        for (int start = lo; start < hi; start += GroupSize)
        {
            int p = start + tid;
            // Read and reset in one atomic: ILGPU 1.5.3 was seen to schedule a plain load after a
            // later plain store to the same element (PTX), which lost every count.
            int keep = p < hi && (Atomic.Exchange(ref nonzeros[p], 0) > 0 || keepZeroRows) ? 1 : 0;
            var kept = ScanKept(keep, scratch);
            if (keep != 0) WriteKeptPosition(a, odd, before + kept.Before, p);
            before += kept.Total;
        }
    }

    /// <summary>Kept positions before this thread's in the group, and in all of it.</summary>
    private struct KeptCount
    {
        public int Before, Total;
    }

    /// <summary>
    /// Exclusive prefix sum of <paramref name="keep"/> (a thread's kept positions) over the
    /// group's threads in thread order, and its total, returned to every thread. Ends with a
    /// barrier, so <paramref name="scratch"/> is free again.
    /// </summary>
    private static KeptCount ScanKept(int keep, ArrayView<int> scratch)
    {
        int lane = Group.IdxX % WarpSize, warp = Group.IdxX / WarpSize;
        int inclusive = keep;
        for (int d = 1; d < WarpSize; d *= 2)
        {
            int other = Warp.ShuffleUp(inclusive, d);
            if (lane >= d) inclusive += other;
        }
        if (lane == WarpSize - 1) scratch[warp] = inclusive;
        Group.Barrier();
        var kept = new KeptCount { Before = inclusive - keep };
        for (int w = 0; w < Warps; w++)
        {
            int t = scratch[w];
            if (w < warp) kept.Before += t;
            kept.Total += t;
        }
        Group.Barrier();
        return kept;
    }

    /// <summary>Moves position p's live column, slot and multiplicity to place q of the next layer's lists; returns the multiplicity.</summary>
    internal static int WriteKeptPosition(ProgramArgs a, bool odd, int q, int p)
    {
        int multiplicity = (odd ? a.Multiplicity1 : a.Multiplicity0)[p];
        (odd ? a.Live0 : a.Live1)[q] = p;
        (odd ? a.Slot0 : a.Slot1)[q] = (odd ? a.Slot1 : a.Slot0)[p];
        (odd ? a.Multiplicity0 : a.Multiplicity1)[q] = multiplicity;
        return multiplicity;
    }

    /// <summary>Sum of <paramref name="value"/> over the group, returned to every thread.</summary>
    private static int GroupSum(int value, ArrayView<int> scratch)
    {
        int lane = Group.IdxX % WarpSize, warp = Group.IdxX / WarpSize;
        for (int d = WarpSize / 2; d > 0; d /= 2) value += Warp.ShuffleXor(value, d);
        if (lane == 0) scratch[warp] = value;
        Group.Barrier();
        int sum = 0;
        for (int w = 0; w < Warps; w++) sum += scratch[w];
        Group.Barrier();
        return sum;
    }

    /// <summary>
    /// Waits until every group of the launch has arrived (<paramref name="epoch"/> barriers passed
    /// so far; returns the new count). Safe only because the launch has no more groups than can
    /// be resident at once. Each group adds its arrival and polls the arrivals until all are in
    /// (by default: measured faster), or, with <see cref="ProgramArgs.ReleaseWordBarrier"/>, the
    /// last to arrive raises a release epoch that the others poll on a line of its own. The
    /// fences order each group's writes before its arrival and the reads after the release (the
    /// release/acquire pattern of CUDA's grid synchronisation).
    /// </summary>
    private static int GridBarrier(ProgramArgs a, int epoch)
    {
        var barrier = a.Barrier;
        Group.Barrier();
        int target = (epoch + 1) * Grid.DimX;
        if (Group.IdxX == 0)
        {
            MemoryFence.DeviceLevel();
            bool release = a.ReleaseWordBarrier != 0;
            if (Atomic.Add(ref barrier[ArrivalWord], 1) == target - 1 && release)
            {
                MemoryFence.DeviceLevel();
                Atomic.Max(ref barrier[ReleaseWord], epoch + 1);
            }
            else
            {
                // Either the release epoch or the arrivals themselves.
                int word = release ? ReleaseWord : ArrivalWord, goal = release ? epoch + 1 : target;
                long start = Clock();
                int polls = 0;
                while (LoadAcquire(barrier, word) < goal)
                {
                    Pause();
                    bool expired = CudaAsm.IsSupported
                        ? Clock() - start > a.BarrierTimeoutNanoseconds
                        : a.PollLimit > 0 && ++polls > a.PollLimit;
                    if (!expired) continue;
                    // Some group never started (the device is shared): flag it for the host and
                    // let every barrier of this launch pass, so the launch ends instead of hanging.
                    // Only the group that claims this launch's poison adds it: two would overflow.
                    if (Atomic.CompareExchange(ref barrier[PoisonClaimWord], 0, 1) != 0) continue;
                    Atomic.Exchange(ref barrier[FailureWord], 1);
                    Atomic.Add(ref barrier[ArrivalWord], Poison);
                    Atomic.Max(ref barrier[ReleaseWord], Poison);
                }
            }
            MemoryFence.DeviceLevel();
        }
        Group.Barrier();
        return epoch + 1;
    }

    /// <summary>
    /// How long a group waits at a grid barrier before it gives up, by default (far beyond one
    /// layer's share of any group; a false alarm only costs a rerun of the batch with fewer
    /// groups); <see cref="GpuEngineOptions.BarrierTimeout"/> sets it.
    /// </summary>
    public static readonly TimeSpan DefaultBarrierTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Added to the arrivals and set as the release epoch, once, on a timeout: beyond every target
    /// and epoch of a launch (at most a few thousand groups times a few thousand barriers), and
    /// far from overflowing with them.
    /// </summary>
    private const int Poison = 1 << 30;

    /// <summary>Nanoseconds of the device's global timer (0 on the CPU simulator: no timeout there).</summary>
    private static long Clock()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mov.u64 %0, %%globaltimer;", out long now);
            return now;
        }
        return 0;
    }

    /// <summary>
    /// A load that sees other groups' latest write: an atomic is served by L2, never by a stale
    /// L1 line or a value the compiler kept in a register (ILGPU offers no volatile load).
    /// </summary>
    private static int LoadAcquire(ArrayView<int> view, int index) => Atomic.Add(ref view[index], 0);

    /// <summary>Spinning less often leaves L2 to the groups still arriving.</summary>
    private static void Pause()
    {
        if (CudaAsm.IsSupported) CudaAsm.Emit("nanosleep.u32 64;");
    }
}
