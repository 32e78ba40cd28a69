using ILGPU;
using ILGPU.Runtime.Cuda;
using SpDnn.Model;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The fused layer kernel: one group of <see cref="BlockRows"/> threads per (output block, tile
/// of <see cref="Tile"/> live positions); each thread owns one output neuron and keeps one
/// accumulator per position of the tile, so each weight is loaded once and used Tile times
/// (weight loads unrolled by 4 to keep several in flight). Features are neuron-major, so
/// staging reads Tile neighbouring columns of each input row. The epilogue adds the bias to
/// nonzero sums, applies ReLU and the cap, and goes through shared memory so that 16
/// neighbouring threads write one output row's Tile columns together; it counts nonzeros per
/// position for the compaction.
/// </summary>
internal static class LayerKernel
{
    public const int Tile = 16;

    /// <summary>Shared-memory row pitch: one word of padding spreads staging writes over the banks.</summary>
    public const int StagePitch = StageEntries + 1;

    /// <summary>Pitch of the output transpose (odd: owners' writes hit distinct banks).</summary>
    private const int OutputPitch = Tile + 1;

    /// <summary>Computes output block <paramref name="block"/> for the live positions first .. first+Tile-1.</summary>
    public static void Compute(ProgramArgs a, LayerBases layer, ArrayView<float> input, ArrayView<float> output, ArrayView<int> live,
        int rows, int block, int first, ArrayView<float> stage, ArrayView<int> footprint, ArrayView<int> columns, ArrayView<int> counts,
        ArrayView<int> neurons)
    {
        int tid = Group.IdxX;
        // This thread's output neuron and bias, loaded now so their latency hides behind the
        // staging; the neuron goes to shared memory for the epilogue's row-by-row writes.
        long outputs = layer.Outputs + (long)block * BlockRows;
        int j = a.Outputs[outputs + tid];
        float bias = j >= 0 ? a.Bias[layer.Bias + j] : 0f;
        neurons[tid] = j;
        // Live positions in this tile: late layers often have a single one.
        int valid = Math.Min(Tile, rows - first);
        float inverse = 1f / valid;
        if (tid < Tile)
        {
            columns[tid] = tid < valid ? live[first + tid] : -1;
            counts[tid] = 0;
        }
        Group.Barrier();
        int warp = tid / WarpSize, lane = tid % WarpSize;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        float acc4 = 0f;
        float acc5 = 0f;
        float acc6 = 0f;
        float acc7 = 0f;
        float acc8 = 0f;
        float acc9 = 0f;
        float acc10 = 0f;
        float acc11 = 0f;
        float acc12 = 0f;
        float acc13 = 0f;
        float acc14 = 0f;
        float acc15 = 0f;
        int s0 = a.BlockStages[layer.BlockStages + block], s1 = a.BlockStages[layer.BlockStages + block + 1];
        for (int s = s0; s < s1; s++)
        {
            long footStart = layer.Footprint + a.StageStarts[layer.StageStarts + s];
            int footLength = a.StageStarts[layer.StageStarts + s + 1] - a.StageStarts[layer.StageStarts + s];
            for (int q = tid; q < footLength; q += BlockRows) footprint[q] = a.Footprint[footStart + q];
            Group.Barrier();
            // Stage the valid columns only, four loads in flight per thread: with few live rows
            // the loads spread over the whole group instead of queueing on a sixteenth of it.
            // Columns past the valid ones keep stale values: their sums are never written.
            int entries = footLength * valid;
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
                stage[t0 * StagePitch + q0] = v0;
                if (e1 < entries) stage[t1 * StagePitch + q1] = v1;
                if (e2 < entries) stage[t2 * StagePitch + q2] = v2;
                if (e3 < entries) stage[t3 * StagePitch + q3] = v3;
            }
            Group.Barrier();
            long warpRow = layer.WarpRows + (long)s * WarpsPerBlock + warp;
            int r = a.WarpRows[warpRow], r1 = a.WarpRows[warpRow + 1];
            if (valid == 1)
            {
                // One live position (the usual case once rows have collapsed): one accumulator,
                // a sixteenth of the shared loads and arithmetic, the same order of additions.
                acc0 = AccumulateOneColumn(a, layer.Slots, r, r1, lane, stage, acc0);
                Group.Barrier();
                continue;
            }
            // Weights four slots at a time, the next four loaded before the current ones are used.
            long p = layer.Slots + (long)r * WarpSize + lane;
            var next = r + 4 <= r1 ? SlotQuad.Load(a, p) : default;
            for (; r + 4 <= r1; r += 4)
            {
                var quad = next;
                int i0 = quad.I0, i1 = quad.I1, i2 = quad.I2, i3 = quad.I3;
                float w0 = quad.W0, w1 = quad.W1, w2 = quad.W2, w3 = quad.W3;
                p += 4 * WarpSize;
                if (r + 8 <= r1) next = SlotQuad.Load(a, p);
                // Views at the slot's input: the 16 columns are then constant offsets, which the
                // shared loads take as immediates (no address arithmetic per load).
                var si0 = stage.SubView(i0);
                var si1 = stage.SubView(i1);
                var si2 = stage.SubView(i2);
                var si3 = stage.SubView(i3);
                acc0 += Product(si0[0 * StagePitch], w0);
                acc1 += Product(si0[1 * StagePitch], w0);
                acc2 += Product(si0[2 * StagePitch], w0);
                acc3 += Product(si0[3 * StagePitch], w0);
                acc4 += Product(si0[4 * StagePitch], w0);
                acc5 += Product(si0[5 * StagePitch], w0);
                acc6 += Product(si0[6 * StagePitch], w0);
                acc7 += Product(si0[7 * StagePitch], w0);
                acc8 += Product(si0[8 * StagePitch], w0);
                acc9 += Product(si0[9 * StagePitch], w0);
                acc10 += Product(si0[10 * StagePitch], w0);
                acc11 += Product(si0[11 * StagePitch], w0);
                acc12 += Product(si0[12 * StagePitch], w0);
                acc13 += Product(si0[13 * StagePitch], w0);
                acc14 += Product(si0[14 * StagePitch], w0);
                acc15 += Product(si0[15 * StagePitch], w0);
                acc0 += Product(si1[0 * StagePitch], w1);
                acc1 += Product(si1[1 * StagePitch], w1);
                acc2 += Product(si1[2 * StagePitch], w1);
                acc3 += Product(si1[3 * StagePitch], w1);
                acc4 += Product(si1[4 * StagePitch], w1);
                acc5 += Product(si1[5 * StagePitch], w1);
                acc6 += Product(si1[6 * StagePitch], w1);
                acc7 += Product(si1[7 * StagePitch], w1);
                acc8 += Product(si1[8 * StagePitch], w1);
                acc9 += Product(si1[9 * StagePitch], w1);
                acc10 += Product(si1[10 * StagePitch], w1);
                acc11 += Product(si1[11 * StagePitch], w1);
                acc12 += Product(si1[12 * StagePitch], w1);
                acc13 += Product(si1[13 * StagePitch], w1);
                acc14 += Product(si1[14 * StagePitch], w1);
                acc15 += Product(si1[15 * StagePitch], w1);
                acc0 += Product(si2[0 * StagePitch], w2);
                acc1 += Product(si2[1 * StagePitch], w2);
                acc2 += Product(si2[2 * StagePitch], w2);
                acc3 += Product(si2[3 * StagePitch], w2);
                acc4 += Product(si2[4 * StagePitch], w2);
                acc5 += Product(si2[5 * StagePitch], w2);
                acc6 += Product(si2[6 * StagePitch], w2);
                acc7 += Product(si2[7 * StagePitch], w2);
                acc8 += Product(si2[8 * StagePitch], w2);
                acc9 += Product(si2[9 * StagePitch], w2);
                acc10 += Product(si2[10 * StagePitch], w2);
                acc11 += Product(si2[11 * StagePitch], w2);
                acc12 += Product(si2[12 * StagePitch], w2);
                acc13 += Product(si2[13 * StagePitch], w2);
                acc14 += Product(si2[14 * StagePitch], w2);
                acc15 += Product(si2[15 * StagePitch], w2);
                acc0 += Product(si3[0 * StagePitch], w3);
                acc1 += Product(si3[1 * StagePitch], w3);
                acc2 += Product(si3[2 * StagePitch], w3);
                acc3 += Product(si3[3 * StagePitch], w3);
                acc4 += Product(si3[4 * StagePitch], w3);
                acc5 += Product(si3[5 * StagePitch], w3);
                acc6 += Product(si3[6 * StagePitch], w3);
                acc7 += Product(si3[7 * StagePitch], w3);
                acc8 += Product(si3[8 * StagePitch], w3);
                acc9 += Product(si3[9 * StagePitch], w3);
                acc10 += Product(si3[10 * StagePitch], w3);
                acc11 += Product(si3[11 * StagePitch], w3);
                acc12 += Product(si3[12 * StagePitch], w3);
                acc13 += Product(si3[13 * StagePitch], w3);
                acc14 += Product(si3[14 * StagePitch], w3);
                acc15 += Product(si3[15 * StagePitch], w3);
            }
            for (; r < r1; r++)
            {
                long q = layer.Slots + (long)r * WarpSize + lane;
                int idx = a.SlotIndex[q];
                float w = a.SlotValue[q];
                var sidx = stage.SubView(idx);
                acc0 += Product(sidx[0 * StagePitch], w);
                acc1 += Product(sidx[1 * StagePitch], w);
                acc2 += Product(sidx[2 * StagePitch], w);
                acc3 += Product(sidx[3 * StagePitch], w);
                acc4 += Product(sidx[4 * StagePitch], w);
                acc5 += Product(sidx[5 * StagePitch], w);
                acc6 += Product(sidx[6 * StagePitch], w);
                acc7 += Product(sidx[7 * StagePitch], w);
                acc8 += Product(sidx[8 * StagePitch], w);
                acc9 += Product(sidx[9 * StagePitch], w);
                acc10 += Product(sidx[10 * StagePitch], w);
                acc11 += Product(sidx[11 * StagePitch], w);
                acc12 += Product(sidx[12 * StagePitch], w);
                acc13 += Product(sidx[13 * StagePitch], w);
                acc14 += Product(sidx[14 * StagePitch], w);
                acc15 += Product(sidx[15 * StagePitch], w);
            }
            Group.Barrier();
        }

        // Epilogue: activations to shared memory (the stage buffer is free now), then written
        // row by row: thread e writes column e % Tile of row e / Tile, 16 threads per row.
        var mineOut = stage.SubView(tid * OutputPitch);
        mineOut[0] = Activate(acc0, bias);
        mineOut[1] = Activate(acc1, bias);
        mineOut[2] = Activate(acc2, bias);
        mineOut[3] = Activate(acc3, bias);
        mineOut[4] = Activate(acc4, bias);
        mineOut[5] = Activate(acc5, bias);
        mineOut[6] = Activate(acc6, bias);
        mineOut[7] = Activate(acc7, bias);
        mineOut[8] = Activate(acc8, bias);
        mineOut[9] = Activate(acc9, bias);
        mineOut[10] = Activate(acc10, bias);
        mineOut[11] = Activate(acc11, bias);
        mineOut[12] = Activate(acc12, bias);
        mineOut[13] = Activate(acc13, bias);
        mineOut[14] = Activate(acc14, bias);
        mineOut[15] = Activate(acc15, bias);
        Group.Barrier();
        int mine = tid % Tile;
        int position = first + mine;
        int nonzeros = 0;
        for (int e = tid; e < BlockRows * Tile; e += BlockRows)
        {
            int row = e / Tile;
            int neuron = neurons[row];
            float v = stage[row * OutputPitch + mine];
            if (neuron >= 0 && position < rows)
            {
                output[neuron * a.Stride + position] = v;
                if (v != 0f) nonzeros++;
            }
        }
        nonzeros += Warp.ShuffleXor(nonzeros, Tile);
        if (lane < Tile && nonzeros > 0) Atomic.Add(ref counts[mine], nonzeros);
        Group.Barrier();
        if (tid < Tile && counts[tid] > 0) Atomic.Add(ref a.Nonzeros[first + tid], counts[tid]);
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
    private static float AccumulateOneColumn(ProgramArgs a, long slots, int r, int r1, int lane, ArrayView<float> stage, float sum)
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
            sum += Product(stage[i0], w0);
            sum += Product(stage[i1], w1);
            sum += Product(stage[i2], w2);
            sum += Product(stage[i3], w3);
            sum += Product(stage[i4], w4);
            sum += Product(stage[i5], w5);
            sum += Product(stage[i6], w6);
            sum += Product(stage[i7], w7);
            sum += Product(stage[i8], w8);
            sum += Product(stage[i9], w9);
            sum += Product(stage[i10], w10);
            sum += Product(stage[i11], w11);
            sum += Product(stage[i12], w12);
            sum += Product(stage[i13], w13);
            sum += Product(stage[i14], w14);
            sum += Product(stage[i15], w15);
        }
        for (; r + 4 <= r1; r += 4, p += 4 * WarpSize)
        {
            var quad = SlotQuad.Load(a, p);
            sum += Product(stage[quad.I0], quad.W0);
            sum += Product(stage[quad.I1], quad.W1);
            sum += Product(stage[quad.I2], quad.W2);
            sum += Product(stage[quad.I3], quad.W3);
        }
        for (; r < r1; r++, p += WarpSize) sum += Product(stage[(int)a.SlotIndex[p]], a.SlotValue[p]);
        return sum;
    }

    /// <summary>y * w rounded on its own: no fused multiply-add, so sums match the reference bit for bit.</summary>
    public static float Product(float y, float w)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float product, y, w);
            return product;
        }
        return y * w;
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
