using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

internal struct CompactArgs
{
    public ArrayView<int> LiveIn;
    public ArrayView<int> LiveOut;
    public ArrayView<int> LiveRows;
    /// <summary>LiveImages[k]: images alive after layer k (a row stands for Multiplicity[slot] images).</summary>
    public ArrayView<int> LiveImages;
    public ArrayView<int> Nonzeros;
    public ArrayView<int> Multiplicity;
    public int Layer;
}

internal struct ScatterArgs
{
    public ArrayView<float> Rows;
    public ArrayView<int> RowOf;
    public ArrayView<int> Column;
    public ArrayView<float> Value;
    public int Neurons;
}

internal struct HashArgs
{
    public ArrayView<float> Rows;
    public ArrayView<int> Live;
    public ArrayView<ulong> Hashes;
    public int Neurons;
}

internal struct CompareArgs
{
    public ArrayView<float> Rows;
    public ArrayView<int> First;
    public ArrayView<int> Second;
    public ArrayView<int> Differs;
    public int Neurons;
}

/// <summary>Kernels that maintain the live set: compaction, input scatter, row hashing and comparison.</summary>
internal static class StateKernels
{
    public const int GroupSize = 256;

    /// <summary>
    /// Keeps the rows of the live list whose output has a nonzero, appending them (in any order:
    /// rows are independent) to the next list; counts rows and images; resets the counters.
    /// </summary>
    public static void Compact(CompactArgs a)
    {
        var counters = SharedMemory.Allocate<int>(3); // rows kept, their base, images kept
        int tid = Group.IdxX;
        if (tid == 0)
        {
            counters[0] = 0;
            counters[2] = 0;
        }
        Group.Barrier();
        int rows = a.LiveRows[a.Layer];
        int i = Grid.IdxX * GroupSize + tid;
        int slot = i < rows ? a.LiveIn[i] : -1;
        bool alive = false;
        int local = 0;
        // Read and reset in one atomic: ILGPU 1.5.3 was seen to schedule a plain load after a
        // later plain store to the same element (PTX), which lost every count.
        if (slot >= 0) alive = Atomic.Exchange(ref a.Nonzeros[slot], 0) > 0;
        if (alive)
        {
            local = Atomic.Add(ref counters[0], 1);
            Atomic.Add(ref counters[2], a.Multiplicity[slot]);
        }
        Group.Barrier();
        if (tid == 0 && counters[0] > 0)
        {
            counters[1] = Atomic.Add(ref a.LiveRows[a.Layer + 1], counters[0]);
            Atomic.Add(ref a.LiveImages[a.Layer], counters[2]);
        }
        Group.Barrier();
        if (alive) a.LiveOut[counters[1] + local] = slot;
    }

    /// <summary>Writes image nonzeros into zeroed dense rows.</summary>
    public static void Scatter(Index1D e, ScatterArgs a) =>
        a.Rows[(long)a.RowOf[e] * a.Neurons + a.Column[e]] = a.Value[e];

    /// <summary>An order-independent 64-bit hash of each live row's bits (one group per row).</summary>
    public static void Hash(HashArgs a)
    {
        var partial = SharedMemory.Allocate<ulong>(GroupSize);
        int tid = Group.IdxX;
        long start = (long)a.Live[Grid.IdxX] * a.Neurons;
        ulong h = 0;
        for (int j = tid; j < a.Neurons; j += GroupSize)
        {
            uint bits = Interop.FloatAsInt(a.Rows[start + j]);
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

    /// <summary>Marks pairs of rows that differ in any bit (one group per pair).</summary>
    public static void Compare(CompareArgs a)
    {
        int pair = Grid.IdxX;
        long first = (long)a.First[pair] * a.Neurons, second = (long)a.Second[pair] * a.Neurons;
        bool differs = false;
        for (int j = Group.IdxX; j < a.Neurons; j += GroupSize)
            differs |= Interop.FloatAsInt(a.Rows[first + j]) != Interop.FloatAsInt(a.Rows[second + j]);
        if (differs) a.Differs[pair] = 1;
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
