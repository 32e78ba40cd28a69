using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

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

/// <summary>Kernels around the layer program: column hashing, comparison and gathering.</summary>
internal static class StateKernels
{
    public const int GroupSize = BlockRows;

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
