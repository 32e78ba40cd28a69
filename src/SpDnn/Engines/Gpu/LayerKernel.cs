using ILGPU;
using ILGPU.Runtime.Cuda;
using SpDnn.Model;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>Arguments of one layer launch (views of the layer's plan and of the run's state).</summary>
internal struct LayerArgs
{
    /// <summary>Features, neuron-major: neuron i of column c at i * Stride + c.</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    /// <summary>Live[p]: the Input column of live position p (LiveRows[Layer] positions).</summary>
    public ArrayView<int> Live;
    /// <summary>LiveRows[k]: live positions before layer k (written by the compaction of layer k-1).</summary>
    public ArrayView<int> LiveRows;
    /// <summary>Nonzero outputs per live position, accumulated here, reset by the compaction.</summary>
    public ArrayView<int> Nonzeros;
    public ArrayView<int> Outputs;
    public ArrayView<int> BlockStages;
    public ArrayView<int> StageStarts;
    public ArrayView<int> Footprint;
    public ArrayView<int> WarpRows;
    public ArrayView<ushort> SlotIndex;
    public ArrayView<float> SlotValue;
    public ArrayView<float> Bias;
    public int Layer;
    public long Stride;
}

/// <summary>
/// The fused layer kernel: one group of <see cref="BlockRows"/> threads per (output block, tile
/// of <see cref="Tile"/> live positions); each thread owns one output neuron and keeps one
/// accumulator per position of the tile, so each weight is loaded once and used Tile times.
/// Features are neuron-major, so staging a stage's inputs for the tile reads Tile neighbouring
/// columns of each input row. The epilogue adds the bias to nonzero sums, applies ReLU and the
/// cap, writes output column p (the position: the output is compact) and counts its nonzeros.
/// </summary>
internal static class LayerKernel
{
    public const int Tile = 8;

    /// <summary>Shared-memory row pitch: one word of padding spreads staging writes over the banks.</summary>
    public const int StagePitch = StageEntries + 1;

    public static void Run(LayerArgs a)
    {
        int rows = a.LiveRows[a.Layer];
        int first = Grid.IdxY * Tile;
        if (first >= rows) return;
        var stage = SharedMemory.Allocate<float>(Tile * StagePitch);
        var columns = SharedMemory.Allocate<int>(Tile);
        int tid = Group.IdxX;
        if (tid < Tile) columns[tid] = first + tid < rows ? a.Live[first + tid] : -1;
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
                int q = e / Tile, t = e % Tile;
                int column = columns[t];
                float v = 0f;
                if (q < footLength && column >= 0) v = a.Input[a.Footprint[footStart + q] * a.Stride + column];
                stage[t * StagePitch + q] = v;
            }
            Group.Barrier();
            int r0 = a.WarpRows[s * WarpsPerBlock + warp], r1 = a.WarpRows[s * WarpsPerBlock + warp + 1];
            for (int r = r0; r < r1; r++)
            {
                long p = (long)r * WarpSize + lane;
                int idx = a.SlotIndex[p];
                float w = a.SlotValue[p];
                acc0 += Product(stage[0 * StagePitch + idx], w);
                acc1 += Product(stage[1 * StagePitch + idx], w);
                acc2 += Product(stage[2 * StagePitch + idx], w);
                acc3 += Product(stage[3 * StagePitch + idx], w);
                acc4 += Product(stage[4 * StagePitch + idx], w);
                acc5 += Product(stage[5 * StagePitch + idx], w);
                acc6 += Product(stage[6 * StagePitch + idx], w);
                acc7 += Product(stage[7 * StagePitch + idx], w);
            }
            Group.Barrier();
        }
        int j = a.Outputs[block * BlockRows + tid];
        float bias = j >= 0 ? a.Bias[j] : 0f;
        Finish(a, first + 0, rows, j, bias, acc0, lane);
        Finish(a, first + 1, rows, j, bias, acc1, lane);
        Finish(a, first + 2, rows, j, bias, acc2, lane);
        Finish(a, first + 3, rows, j, bias, acc3, lane);
        Finish(a, first + 4, rows, j, bias, acc4, lane);
        Finish(a, first + 5, rows, j, bias, acc5, lane);
        Finish(a, first + 6, rows, j, bias, acc6, lane);
        Finish(a, first + 7, rows, j, bias, acc7, lane);
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

    private static void Finish(LayerArgs a, int position, int rows, int j, float bias, float z, int lane)
    {
        if (position >= rows) return; // the same for the whole group
        float v = Activate(z, bias);
        if (j >= 0) a.Output[j * a.Stride + position] = v;
        int count = WarpSum(j >= 0 && v != 0f ? 1 : 0);
        if (lane == 0 && count > 0) Atomic.Add(ref a.Nonzeros[position], count);
    }

    public static int WarpSum(int value)
    {
        for (int offset = WarpSize / 2; offset > 0; offset /= 2) value += Warp.ShuffleDown(value, offset);
        return value;
    }
}
