using ILGPU;
using ILGPU.Runtime.Cuda;
using SpDnn.Model;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>Arguments of one layer launch (views of the layer's plan and of the run's state).</summary>
internal struct LayerArgs
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    /// <summary>Feature rows (slots) to compute, LiveRows[Layer] of them.</summary>
    public ArrayView<int> Live;
    /// <summary>LiveRows[k]: rows in the live list before layer k (written by the compaction of layer k-1).</summary>
    public ArrayView<int> LiveRows;
    /// <summary>Nonzero outputs per slot, accumulated by this layer, reset by the compaction.</summary>
    public ArrayView<int> Nonzeros;
    public ArrayView<int> BlockStages;
    public ArrayView<int> StageStarts;
    public ArrayView<int> Footprint;
    public ArrayView<int> WarpRows;
    public ArrayView<ushort> SlotIndex;
    public ArrayView<float> SlotValue;
    public ArrayView<float> Bias;
    public int Layer;
    public int Neurons;
}

/// <summary>
/// The fused layer kernel: one group of <see cref="BlockRows"/> threads per (output block, tile
/// of <see cref="LayerKernel.Tile"/> live rows); each thread owns one output neuron and keeps
/// one accumulator per row of the tile, so each weight is loaded once and used Tile times.
/// Per stage the tile's footprint inputs are staged in shared memory. The epilogue adds the
/// bias to nonzero sums, applies ReLU and the cap, writes the row and counts its nonzeros.
/// </summary>
internal static class LayerKernel
{
    public const int Tile = 8;

    public static void Run(LayerArgs a)
    {
        int rows = a.LiveRows[a.Layer];
        int first = Grid.IdxY * Tile;
        if (first >= rows) return;
        var stage = SharedMemory.Allocate<float>(Tile * StageEntries);
        var slots = SharedMemory.Allocate<int>(Tile);
        int tid = Group.IdxX;
        if (tid < Tile) slots[tid] = first + tid < rows ? a.Live[first + tid] : -1;
        Group.Barrier();
        int warp = tid / WarpSize, lane = tid % WarpSize;
        int block = Grid.IdxX;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        float acc4 = 0f;
        float acc5 = 0f;
        float acc6 = 0f;
        float acc7 = 0f;
        int s0 = a.BlockStages[block], s1 = a.BlockStages[block + 1];
        for (int s = s0; s < s1; s++)
        {
            int footStart = a.StageStarts[s], footLength = a.StageStarts[s + 1] - footStart;
            for (int e = tid; e < Tile * StageEntries; e += BlockRows)
            {
                int t = e / StageEntries, q = e % StageEntries;
                int slot = slots[t];
                float v = 0f;
                if (q < footLength && slot >= 0) v = a.Input[(long)slot * a.Neurons + a.Footprint[footStart + q]];
                stage[e] = v;
            }
            Group.Barrier();
            int r0 = a.WarpRows[s * WarpsPerBlock + warp], r1 = a.WarpRows[s * WarpsPerBlock + warp + 1];
            for (int r = r0; r < r1; r++)
            {
                long p = (long)r * WarpSize + lane;
                int idx = a.SlotIndex[p];
                float w = a.SlotValue[p];
                acc0 += Product(stage[0 * StageEntries + idx], w);
                acc1 += Product(stage[1 * StageEntries + idx], w);
                acc2 += Product(stage[2 * StageEntries + idx], w);
                acc3 += Product(stage[3 * StageEntries + idx], w);
                acc4 += Product(stage[4 * StageEntries + idx], w);
                acc5 += Product(stage[5 * StageEntries + idx], w);
                acc6 += Product(stage[6 * StageEntries + idx], w);
                acc7 += Product(stage[7 * StageEntries + idx], w);
            }
            Group.Barrier();
        }
        int j = block * BlockRows + tid;
        bool inside = j < a.Neurons;
        float bias = inside ? a.Bias[j] : 0f;
        Finish(a, slots[0], j, inside, acc0, bias, lane);
        Finish(a, slots[1], j, inside, acc1, bias, lane);
        Finish(a, slots[2], j, inside, acc2, bias, lane);
        Finish(a, slots[3], j, inside, acc3, bias, lane);
        Finish(a, slots[4], j, inside, acc4, bias, lane);
        Finish(a, slots[5], j, inside, acc5, bias, lane);
        Finish(a, slots[6], j, inside, acc6, bias, lane);
        Finish(a, slots[7], j, inside, acc7, bias, lane);
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

    private static void Finish(LayerArgs a, int slot, int j, bool inside, float z, float bias, int lane)
    {
        if (slot < 0) return; // the same for the whole group
        float v = Activate(z, bias);
        if (inside) a.Output[(long)slot * a.Neurons + j] = v;
        int count = WarpSum(inside && v != 0f ? 1 : 0);
        if (lane == 0 && count > 0) Atomic.Add(ref a.Nonzeros[slot], count);
    }

    public static int WarpSum(int value)
    {
        for (int offset = WarpSize / 2; offset > 0; offset /= 2) value += Warp.ShuffleDown(value, offset);
        return value;
    }
}
