using ILGPU;
using ILGPU.Runtime;
using SpDnn.Model;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The fused layer kernel: one group of <see cref="BlockRows"/> threads per (output block, tile
/// of <see cref="Tile"/> live positions); each thread owns one output neuron and keeps one sum
/// per position of the tile (<see cref="TileSums"/>), so each weight is loaded once and used
/// Tile times. Features are neuron-major, so staging reads Tile neighbouring columns of each
/// input row; the stage holds each input's Tile values contiguously, read as four 16-byte
/// quads per weight. When every weight of the layer is a power of two and every staged input
/// keeps the products exact (<see cref="ExactProducts"/>), the sums use fused multiply-adds,
/// which are then bit-identical to the reference's rounded products. The epilogue finishes the
/// sums as the layer's form says (the challenge's: bias on nonzero sums, ReLU, cap), writes the thread's Tile outputs as four 16-byte
/// stores (and again for each output equal to the thread's by construction,
/// <see cref="DuplicateOutputs"/>), and flags the positions with a nonzero output for the
/// compaction.
/// </summary>
internal static class LayerKernel
{
    public const int Tile = 16;

    /// <summary>
    /// Floats per staged input: its Tile values and one quad of padding, so that the quads of
    /// eight neighbouring inputs fall on distinct shared-memory banks (stride 5 quads).
    /// </summary>
    public const int InputPitch = Tile + 4;

    /// <summary>Quads per staged input.</summary>
    public const int InputQuads = InputPitch / 4;

    /// <summary>Quads of the stage buffer.</summary>
    public const int StageQuads = StageEntries * InputQuads;

    /// <summary>
    /// Computes output block <paramref name="block"/> for the tiles of live positions
    /// firstTile, firstTile + tileStep, ... The block's output neurons, biases and (for a block
    /// of one stage, the usual case) its footprint and warp slot ranges are loaded once for all
    /// its tiles, and each tile's live columns are read while the tile before computes, so a
    /// tile waits only for its staged inputs.
    /// </summary>
    public static void ComputeBlock<TFused, TForms>(ProgramArgs a, LayerBases layer, TForms form, ArrayView<float> input, ArrayView<float> output, LiveList live,
        ArrayView<int> nonzeros, int rows, int block, int firstTile, int tileStep, ArrayView<Quad> stage, ArrayView<int> footprint,
        ArrayView<int> columns, ArrayView<int> warpMasks)
        where TFused : struct, IProductSum
        where TForms : struct, IKernelLayerForms<TForms>
    {
        int tid = Group.IdxX, warp = tid / WarpSize, lane = tid % WarpSize;
        long outputs = layer.Outputs + (long)block * BlockRows;
        int j = a.Outputs[outputs + tid];
        float bias = j >= 0 ? a.Bias[layer.Bias + j] : 0f;
        int s0 = a.BlockStages[layer.BlockStages + block], s1 = a.BlockStages[layer.BlockStages + block + 1];
        bool oneStage = s1 - s0 == 1;
        int footLength = 0, r0 = 0, r1 = 0;
        if (oneStage)
        {
            // Visible to the whole group after the first tile's barrier below.
            footLength = LoadFootprint(a, layer, s0, footprint);
            long warpRow = layer.WarpRows + (long)s0 * WarpsPerBlock + warp;
            r0 = a.WarpRows[warpRow];
            r1 = a.WarpRows[warpRow + 1];
        }
        int tiles = (rows + Tile - 1) / Tile;
        int column = tid < Tile && firstTile * Tile + tid < rows ? live[firstTile * Tile + tid] : -1;
        for (int tile = firstTile; tile < tiles; tile += tileStep)
        {
            int first = tile * Tile;
            // Live positions in this tile: late layers often have a single one.
            int valid = Math.Min(Tile, rows - first);
            if (tid < Tile) columns[tid] = column;
            int next = first + tileStep * Tile;
            column = tid < Tile && next + tid < rows ? live[next + tid] : -1;
            Group.Barrier();
            var sums = default(TileSums);
            for (int s = s0; s < s1; s++)
            {
                // One call site for both cases: every inlined copy of the stage code makes the
                // kernel larger for ptxas (registers, instruction cache).
                int r = r0, rEnd = r1;
                if (!oneStage)
                {
                    footLength = LoadFootprint(a, layer, s, footprint);
                    Group.Barrier();
                    long warpRow = layer.WarpRows + (long)s * WarpsPerBlock + warp;
                    r = a.WarpRows[warpRow];
                    rEnd = a.WarpRows[warpRow + 1];
                }
                sums = ComputeStage<TFused>(a, layer, input, valid, footLength, r, rEnd, lane, stage, footprint, columns, sums);
            }

            // Epilogue: output positions first .. first+Tile-1 of neuron j are contiguous and
            // 16-byte aligned (the stride is a multiple of Tile), so the thread writes its own
            // four quads. Positions past the valid ones get values nobody reads (the stride
            // leaves room for them).
            int nonzero = 0;
            if (j >= 0)
            {
                var activations = sums.Activations(form, bias);
                activations.Write(OutputRow(a, output, j, first));
                nonzero = activations.Mask() & ((1 << valid) - 1);
                // Outputs equal to j by construction get the same activations. Their range is
                // read here rather than held in registers through the tile.
                long copyAt = layer.CopyStarts + (long)block * BlockRows + tid;
                int c0 = a.CopyStarts[copyAt], c1 = a.CopyStarts[copyAt + 1];
                for (int c = c0; c < c1; c++) activations.Write(OutputRow(a, output, a.Copies[layer.Copies + c], first));
            }
            for (int d = WarpSize / 2; d > 0; d /= 2) nonzero |= Warp.ShuffleXor(nonzero, d);
            // Each warp's mask in its own word: no reset needed (the next tile writes them only
            // after its first barrier, which every reader below has passed).
            if (lane == 0) warpMasks[warp] = nonzero;
            Group.Barrier();
            if (tid < valid)
            {
                int any = 0;
                for (int w = 0; w < WarpsPerBlock; w++) any |= warpMasks[w];
                if ((any >> tid & 1) != 0) Atomic.Add(ref nonzeros[first + tid], 1);
            }
        }
    }

    /// <summary>Positions first .. first+Tile-1 of neuron j: four 16-byte aligned quads (the stride is a multiple of Tile).</summary>
    private static ArrayView<Quad> OutputRow(ProgramArgs a, ArrayView<float> output, int j, int first) =>
        output.Cast<Quad>().SubView((j * a.Stride + first) / 4, 4).AsAligned16();

    /// <summary>Copies stage <paramref name="s"/>'s footprint to shared memory (the caller synchronises); returns its length.</summary>
    private static int LoadFootprint(ProgramArgs a, LayerBases layer, int s, ArrayView<int> footprint)
    {
        long footStart = layer.Footprint + a.StageStarts[layer.StageStarts + s];
        int footLength = a.StageStarts[layer.StageStarts + s + 1] - a.StageStarts[layer.StageStarts + s];
        for (int q = Group.IdxX; q < footLength; q += BlockRows) footprint[q] = a.Footprint[footStart + q];
        return footLength;
    }

    /// <summary>
    /// Stages one stage's inputs for the tile's live columns and adds this lane's slots of warp
    /// rows r .. r1-1 to the sums; ends with a group barrier (the stage buffer is free again).
    /// </summary>
    private static TileSums ComputeStage<TFused>(ProgramArgs a, LayerBases layer, ArrayView<float> input, int valid, int footLength, int r, int r1, int lane,
        ArrayView<Quad> stage, ArrayView<int> footprint, ArrayView<int> columns, TileSums sums)
        where TFused : struct, IProductSum
    {
        var stageValues = stage.Cast<float>();
        long p = layer.Slots + (long)r * WarpSize + lane;
        bool inexact = valid == Tile
            ? StageFullTile(a, input, footLength, stageValues, footprint, columns, layer)
            : StagePartialTile(a, input, footLength, valid, stageValues, footprint, columns, layer);
        // Every thread learns whether all staged inputs keep the products exact.
        bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;
        // Loaded here rather than before the staging: held across it, they cost a spill (ptxas, 64 registers).
        var firstQuad = valid > 1 && r + 4 <= r1 ? SlotQuad.Load(a, p) : default;
        if (valid == 1)
            // One live position (the usual case once rows have collapsed): one sum, a
            // sixteenth of the shared loads and arithmetic, the same order of additions.
            sums.S0 = fused ? AccumulateOneColumn(a, default(TFused), layer.Slots, r, r1, lane, stageValues, sums.S0)
                : AccumulateOneColumn(a, RoundedProductSum.For(a), layer.Slots, r, r1, lane, stageValues, sums.S0);
        else if (fused)
            sums = AccumulateTile(a, default(TFused), p, r, r1, firstQuad, stage, sums);
        else
            sums = AccumulateTile(a, RoundedProductSum.For(a), p, r, r1, firstQuad, stage, sums);
        Group.Barrier();
        return sums;
    }

    /// <summary>
    /// Stages a full tile: thread t copies column t % Tile of every sixteenth footprint entry,
    /// eight loads in flight; returns whether a staged value breaks the exact-product bounds.
    /// </summary>
    private static bool StageFullTile(ProgramArgs a, ArrayView<float> input, int footLength, ArrayView<float> stage,
        ArrayView<int> footprint, ArrayView<int> columns, LayerBases layer)
    {
        const int Step = BlockRows / Tile;
        int tid = Group.IdxX, t = tid % Tile;
        long column = columns[t];
        bool inexact = false;
        for (int q0 = tid / Tile; q0 < footLength; q0 += 8 * Step)
        {
            float v0 = StageLoad(a, input, footprint, q0, footLength, column);
            float v1 = StageLoad(a, input, footprint, q0 + Step, footLength, column);
            float v2 = StageLoad(a, input, footprint, q0 + 2 * Step, footLength, column);
            float v3 = StageLoad(a, input, footprint, q0 + 3 * Step, footLength, column);
            float v4 = StageLoad(a, input, footprint, q0 + 4 * Step, footLength, column);
            float v5 = StageLoad(a, input, footprint, q0 + 5 * Step, footLength, column);
            float v6 = StageLoad(a, input, footprint, q0 + 6 * Step, footLength, column);
            float v7 = StageLoad(a, input, footprint, q0 + 7 * Step, footLength, column);
            StageStore(stage, q0, footLength, t, v0);
            StageStore(stage, q0 + Step, footLength, t, v1);
            StageStore(stage, q0 + 2 * Step, footLength, t, v2);
            StageStore(stage, q0 + 3 * Step, footLength, t, v3);
            StageStore(stage, q0 + 4 * Step, footLength, t, v4);
            StageStore(stage, q0 + 5 * Step, footLength, t, v5);
            StageStore(stage, q0 + 6 * Step, footLength, t, v6);
            StageStore(stage, q0 + 7 * Step, footLength, t, v7);
            float low = layer.ProductLow, high = layer.ProductHigh;
            inexact |= !ExactProducts.Passes(v0, low, high) | !ExactProducts.Passes(v1, low, high)
                | !ExactProducts.Passes(v2, low, high) | !ExactProducts.Passes(v3, low, high)
                | !ExactProducts.Passes(v4, low, high) | !ExactProducts.Passes(v5, low, high)
                | !ExactProducts.Passes(v6, low, high) | !ExactProducts.Passes(v7, low, high);
        }
        return inexact;
    }

    /// <summary>Input of footprint entry q for the column (0 past the footprint's end).</summary>
    private static float StageLoad(ProgramArgs a, ArrayView<float> input, ArrayView<int> footprint, int q, int footLength, long column) =>
        q < footLength ? input[footprint[q] * a.Stride + column] : 0f;

    private static void StageStore(ArrayView<float> stage, int q, int footLength, int t, float value)
    {
        if (q < footLength) stage[q * InputPitch + t] = value;
    }

    /// <summary>
    /// Stages the valid columns of a partial tile, spread over all threads (entry e is input
    /// e / valid, column e % valid), four loads in flight. Columns past the valid ones keep
    /// stale values: their sums are never read.
    /// </summary>
    private static bool StagePartialTile(ProgramArgs a, ArrayView<float> input, int footLength, int valid, ArrayView<float> stage,
        ArrayView<int> footprint, ArrayView<int> columns, LayerBases layer)
    {
        int tid = Group.IdxX;
        float inverse = 1f / valid;
        int entries = footLength * valid;
        bool inexact = false;
        for (int e0 = tid; e0 < entries; e0 += 4 * BlockRows)
        {
            int e1 = e0 + BlockRows, e2 = e0 + 2 * BlockRows, e3 = e0 + 3 * BlockRows;
            int q0 = Quotient(e0, inverse), t0 = e0 - q0 * valid;
            int q1 = Quotient(e1, inverse), t1 = e1 - q1 * valid;
            int q2 = Quotient(e2, inverse), t2 = e2 - q2 * valid;
            int q3 = Quotient(e3, inverse), t3 = e3 - q3 * valid;
            float v0 = input[footprint[q0] * a.Stride + columns[t0]];
            float v1 = e1 < entries ? input[footprint[q1] * a.Stride + columns[t1]] : 0f;
            float v2 = e2 < entries ? input[footprint[q2] * a.Stride + columns[t2]] : 0f;
            float v3 = e3 < entries ? input[footprint[q3] * a.Stride + columns[t3]] : 0f;
            stage[q0 * InputPitch + t0] = v0;
            if (e1 < entries) stage[q1 * InputPitch + t1] = v1;
            if (e2 < entries) stage[q2 * InputPitch + t2] = v2;
            if (e3 < entries) stage[q3 * InputPitch + t3] = v3;
            inexact |= !ExactProducts.Passes(v0, layer.ProductLow, layer.ProductHigh)
                | !ExactProducts.Passes(v1, layer.ProductLow, layer.ProductHigh)
                | !ExactProducts.Passes(v2, layer.ProductLow, layer.ProductHigh)
                | !ExactProducts.Passes(v3, layer.ProductLow, layer.ProductHigh);
        }
        return inexact;
    }

    /// <summary>
    /// Adds the products of this lane's slots in warp rows r .. r1-1 (the first at slot p, its
    /// first four already loaded) to the tile's sums, in slot order; weights four slots at a
    /// time, the next four loaded before the current ones are used.
    /// </summary>
    private static TileSums AccumulateTile<TSum>(ProgramArgs a, TSum add, long p, int r, int r1, SlotQuad firstQuad, ArrayView<Quad> stage, TileSums sums)
        where TSum : struct, IProductSum
    {
        var next = firstQuad;
        for (; r + 4 <= r1; r += 4)
        {
            var quad = next;
            p += 4 * WarpSize;
            if (r + 8 <= r1) next = SlotQuad.Load(a, p);
            // Views at the slot's input: its four quads are then constant offsets, which the
            // shared loads take as immediates.
            sums = TileSums.AddInput(add, sums, stage.SubView(quad.I0 * InputQuads), quad.W0);
            sums = TileSums.AddInput(add, sums, stage.SubView(quad.I1 * InputQuads), quad.W1);
            sums = TileSums.AddInput(add, sums, stage.SubView(quad.I2 * InputQuads), quad.W2);
            sums = TileSums.AddInput(add, sums, stage.SubView(quad.I3 * InputQuads), quad.W3);
        }
        for (; r < r1; r++, p += WarpSize)
            sums = TileSums.AddInput(add, sums, stage.SubView(a.SlotIndex[p] * InputQuads), a.SlotValue[p]);
        return sums;
    }

    /// <summary>
    /// e / valid for 0 &lt;= e &lt; 2^14 and 1 &lt;= valid &lt;= 16, without an integer division
    /// (about 20 instructions each): (e + 1/2) / valid lies at least 1/32 away from an integer,
    /// far more than the float error (below 2^14 * 2^-22, even with an approximate reciprocal).
    /// </summary>
    public static int Quotient(int e, float inverse) => (int)((e + 0.5f) * inverse);

    /// <summary>
    /// Adds the products of column 0 of the stage over warp rows r .. r1-1 to <paramref name="sum"/>,
    /// in slot order. Sixteen slots' loads are issued before any is used: with one live row the
    /// arithmetic is too short to hide a load's latency, so only loads in flight together help.
    /// </summary>
    private static float AccumulateOneColumn<TSum>(ProgramArgs a, TSum add, long slots, int r, int r1, int lane, ArrayView<float> stage, float sum)
        where TSum : struct, IProductSum
    {
        long p = slots + (long)r * WarpSize + lane;
        for (; r + 16 <= r1; r += 16, p += 16 * WarpSize)
        {
            int i0 = a.SlotIndex[p + 0];
            float w0 = a.SlotValue[p + 0];
            int i1 = a.SlotIndex[p + 32];
            float w1 = a.SlotValue[p + 32];
            int i2 = a.SlotIndex[p + 64];
            float w2 = a.SlotValue[p + 64];
            int i3 = a.SlotIndex[p + 96];
            float w3 = a.SlotValue[p + 96];
            int i4 = a.SlotIndex[p + 128];
            float w4 = a.SlotValue[p + 128];
            int i5 = a.SlotIndex[p + 160];
            float w5 = a.SlotValue[p + 160];
            int i6 = a.SlotIndex[p + 192];
            float w6 = a.SlotValue[p + 192];
            int i7 = a.SlotIndex[p + 224];
            float w7 = a.SlotValue[p + 224];
            int i8 = a.SlotIndex[p + 256];
            float w8 = a.SlotValue[p + 256];
            int i9 = a.SlotIndex[p + 288];
            float w9 = a.SlotValue[p + 288];
            int i10 = a.SlotIndex[p + 320];
            float w10 = a.SlotValue[p + 320];
            int i11 = a.SlotIndex[p + 352];
            float w11 = a.SlotValue[p + 352];
            int i12 = a.SlotIndex[p + 384];
            float w12 = a.SlotValue[p + 384];
            int i13 = a.SlotIndex[p + 416];
            float w13 = a.SlotValue[p + 416];
            int i14 = a.SlotIndex[p + 448];
            float w14 = a.SlotValue[p + 448];
            int i15 = a.SlotIndex[p + 480];
            float w15 = a.SlotValue[p + 480];
            sum = add.Add(sum, stage[i0 * InputPitch], w0);
            sum = add.Add(sum, stage[i1 * InputPitch], w1);
            sum = add.Add(sum, stage[i2 * InputPitch], w2);
            sum = add.Add(sum, stage[i3 * InputPitch], w3);
            sum = add.Add(sum, stage[i4 * InputPitch], w4);
            sum = add.Add(sum, stage[i5 * InputPitch], w5);
            sum = add.Add(sum, stage[i6 * InputPitch], w6);
            sum = add.Add(sum, stage[i7 * InputPitch], w7);
            sum = add.Add(sum, stage[i8 * InputPitch], w8);
            sum = add.Add(sum, stage[i9 * InputPitch], w9);
            sum = add.Add(sum, stage[i10 * InputPitch], w10);
            sum = add.Add(sum, stage[i11 * InputPitch], w11);
            sum = add.Add(sum, stage[i12 * InputPitch], w12);
            sum = add.Add(sum, stage[i13 * InputPitch], w13);
            sum = add.Add(sum, stage[i14 * InputPitch], w14);
            sum = add.Add(sum, stage[i15 * InputPitch], w15);
        }
        for (; r + 4 <= r1; r += 4, p += 4 * WarpSize)
        {
            var quad = SlotQuad.Load(a, p);
            sum = add.Add(sum, stage[quad.I0 * InputPitch], quad.W0);
            sum = add.Add(sum, stage[quad.I1 * InputPitch], quad.W1);
            sum = add.Add(sum, stage[quad.I2 * InputPitch], quad.W2);
            sum = add.Add(sum, stage[quad.I3 * InputPitch], quad.W3);
        }
        for (; r < r1; r++, p += WarpSize) sum = add.Add(sum, stage[a.SlotIndex[p] * InputPitch], a.SlotValue[p]);
        return sum;
    }

    /// <summary>The challenge's nonlinearity: bias only where the sum is nonzero, ReLU, cap.</summary>
    public static float Activate(float z, float bias)
    {
        if (z == 0f) return 0f;
        float v = z + bias;
        if (v > ChallengeSpec.YMax) v = ChallengeSpec.YMax;
        return v > 0f ? v : 0f;
    }
}
