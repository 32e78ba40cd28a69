using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

internal struct CompactArgs
{
    /// <summary>Nonzero outputs per live position of the layer (read and reset).</summary>
    public ArrayView<int> Nonzeros;
    public ArrayView<int> LiveRows;
    /// <summary>LiveImages[k]: images alive after layer k (a position stands for Multiplicity images).</summary>
    public ArrayView<int> LiveImages;
    /// <summary>Kept positions, ascending: the Output columns the next layer reads.</summary>
    public ArrayView<int> LiveOut;
    /// <summary>Image slot (batch row) of each position, before and after.</summary>
    public ArrayView<int> SlotIn;
    public ArrayView<int> SlotOut;
    public ArrayView<int> MultiplicityIn;
    public ArrayView<int> MultiplicityOut;
    public int Layer;
}

internal struct ScatterArgs
{
    public ArrayView<float> Features;
    public ArrayView<int> Image;
    public ArrayView<int> Neuron;
    public ArrayView<float> Value;
    public long Stride;
}

/// <summary>Arguments of the kernels that read whole live columns (hash, compare, final gather).</summary>
internal struct ColumnArgs
{
    public ArrayView<float> Features;
    /// <summary>Columns to read: Live[group] (hash, gather) or First/Second[group] (compare).</summary>
    public ArrayView<int> First;
    public ArrayView<int> Second;
    public ArrayView<ulong> Hashes;
    public ArrayView<int> Differs;
    public ArrayView<float> Rows;
    public int Neurons;
    public long Stride;
    /// <summary>Live positions: the hash reads evenly spaced ones when launched with fewer groups (a sample).</summary>
    public int Positions;
}

/// <summary>Kernels that maintain the live set: compaction, input scatter, column hashing, comparison and gathering.</summary>
internal static class StateKernels
{
    public const int GroupSize = BlockRows;
    private const int Warps = GroupSize / WarpSize;

    /// <summary>Shared words <see cref="CompactLive"/> needs.</summary>
    public const int CompactionShared = Warps + 2;

    /// <summary>
    /// Keeps the positions whose output has a nonzero, in ascending order (so the next
    /// layer reads neighbouring columns together), with their image slots and multiplicities;
    /// counts live positions and images; resets the counters. Run by one whole group (the
    /// layer kernel's last); <paramref name="scratch"/> is shared memory.
    /// </summary>
    public static void CompactLive(CompactArgs a, ArrayView<int> scratch)
    {
        var warpTotals = scratch.SubView(0, Warps);
        var shared = scratch.SubView(Warps, 2); // positions kept so far, images kept
        int tid = Group.IdxX, lane = tid % WarpSize, warp = tid / WarpSize;
        Group.Barrier();
        if (tid == 0)
        {
            shared[0] = 0;
            shared[1] = 0;
        }
        Group.Barrier();
        int rows = a.LiveRows[a.Layer];
        for (int start = 0; start < rows; start += GroupSize)
        {
            int p = start + tid;
            // Read and reset in one atomic: ILGPU 1.5.3 was seen to schedule a plain load after a
            // later plain store to the same element (PTX), which lost every count.
            int keep = p < rows && Atomic.Exchange(ref a.Nonzeros[p], 0) > 0 ? 1 : 0;
            int inclusive = keep;
            for (int d = 1; d < WarpSize; d *= 2)
            {
                int other = Warp.ShuffleUp(inclusive, d);
                if (lane >= d) inclusive += other;
            }
            if (lane == WarpSize - 1) warpTotals[warp] = inclusive;
            Group.Barrier();
            int before = shared[0], total = 0;
            for (int w = 0; w < Warps; w++)
            {
                int t = warpTotals[w];
                if (w < warp) before += t;
                total += t;
            }
            if (keep != 0)
            {
                int q = before + inclusive - 1;
                a.LiveOut[q] = p;
                a.SlotOut[q] = a.SlotIn[p];
                int m = a.MultiplicityIn[p];
                a.MultiplicityOut[q] = m;
                Atomic.Add(ref shared[1], m);
            }
            Group.Barrier();
            if (tid == 0) shared[0] += total;
            Group.Barrier();
        }
        if (tid == 0)
        {
            a.LiveRows[a.Layer + 1] = shared[0];
            a.LiveImages[a.Layer] = shared[1];
        }
    }

    /// <summary>Writes image nonzeros into zeroed neuron-major features (column = image).</summary>
    public static void Scatter(Index1D e, ScatterArgs a) =>
        a.Features[a.Neuron[e] * a.Stride + a.Image[e]] = a.Value[e];

    /// <summary>
    /// An order-independent 64-bit hash of live columns' bits (one group per column): of every
    /// position when launched with Positions groups, else of evenly spaced ones.
    /// </summary>
    public static void Hash(ColumnArgs a)
    {
        var partial = SharedMemory.Allocate<ulong>(GroupSize);
        int tid = Group.IdxX;
        long column = a.First[(int)((long)Grid.IdxX * a.Positions / Grid.DimX)];
        ulong h = 0;
        for (int j = tid; j < a.Neurons; j += GroupSize)
        {
            uint bits = Interop.FloatAsInt(a.Features[j * a.Stride + column]);
            if (bits != 0) h += Mix(((ulong)(uint)j << 32) | bits);
        }
        partial[tid] = h;
        Group.Barrier();
        for (int width = GroupSize / 2; width > 0; width /= 2)
        {
            if (tid < width) partial[tid] += partial[tid + width];
            Group.Barrier();
        }
        if (tid == 0) a.Hashes[Grid.IdxX] = partial[0];
    }

    /// <summary>Marks pairs of columns that differ in any bit (one group per pair).</summary>
    public static void Compare(ColumnArgs a)
    {
        int pair = Grid.IdxX;
        long first = a.First[pair], second = a.Second[pair];
        bool differs = false;
        for (int j = Group.IdxX; j < a.Neurons; j += GroupSize)
            differs |= Interop.FloatAsInt(a.Features[j * a.Stride + first]) != Interop.FloatAsInt(a.Features[j * a.Stride + second]);
        if (differs) a.Differs[pair] = 1;
    }

    /// <summary>Copies live columns into dense rows (one group per column), for reading back.</summary>
    public static void Gather(ColumnArgs a)
    {
        int row = Grid.IdxX;
        long column = a.First[row];
        for (int j = Group.IdxX; j < a.Neurons; j += GroupSize)
            a.Rows[(long)row * a.Neurons + j] = a.Features[j * a.Stride + column];
    }

    /// <summary>The splitmix64 finaliser: spreads every input bit over the word.</summary>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
