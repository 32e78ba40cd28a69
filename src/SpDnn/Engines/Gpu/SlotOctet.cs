using ILGPU;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A chunk of consecutive warp rows of one lane's slots (input index and weight each), loaded
/// together so that their reads are in flight at once, then added to a thread's column sums in
/// row order. Rows at or past the end read as input 0 with weight +0, which adds nothing to a
/// sum. A type argument of <see cref="ResidentInputKernel"/>: wide tiles take short chunks, so
/// that two chunks and the sums fit in 64 registers.
/// </summary>
internal interface ISlotChunk<TSelf> where TSelf : struct
{
    int Rows { get; }

    /// <summary>
    /// Whether the kernel holds two chunks in turn (each loaded while the other is added) rather
    /// than one chunk and the next (a copy of every register of a chunk each step, with fewer
    /// registers live across the slice loop).
    /// </summary>
    bool InTurn { get; }

    /// <summary>Warp rows <paramref name="row"/> .. row + Rows - 1 (those below <paramref name="end"/>) of this lane.</summary>
    TSelf Load(ProgramArgs a, long slots, int row, int end, int lane);

    /// <summary>
    /// Adds the chunk's products to <paramref name="sums"/>, row by row; <paramref name="rowsLeft"/>
    /// (at least one, the same for the warp) of its rows are below the slice's end, and a chunk
    /// may skip the rest (their weights are +0).
    /// </summary>
    TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage, int rowsLeft)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>;
}

/// <summary>Eight rows: for tiles of up to four columns.</summary>
internal struct SlotOctet : ISlotChunk<SlotOctet>
{
    public int I0, I1, I2, I3, I4, I5, I6, I7;
    public float W0, W1, W2, W3, W4, W5, W6, W7;

    public readonly int Rows => 8;

    public readonly bool InTurn => false;

    public readonly SlotOctet Load(ProgramArgs a, long slots, int row, int end, int lane)
    {
        long p = slots + (long)row * WarpSize + lane;
        var o = default(SlotOctet);
        if (row < end) { o.I0 = a.SlotIndex[p]; o.W0 = a.SlotValue[p]; }
        if (row + 1 < end) { o.I1 = a.SlotIndex[p + WarpSize]; o.W1 = a.SlotValue[p + WarpSize]; }
        if (row + 2 < end) { o.I2 = a.SlotIndex[p + 2 * WarpSize]; o.W2 = a.SlotValue[p + 2 * WarpSize]; }
        if (row + 3 < end) { o.I3 = a.SlotIndex[p + 3 * WarpSize]; o.W3 = a.SlotValue[p + 3 * WarpSize]; }
        if (row + 4 < end) { o.I4 = a.SlotIndex[p + 4 * WarpSize]; o.W4 = a.SlotValue[p + 4 * WarpSize]; }
        if (row + 5 < end) { o.I5 = a.SlotIndex[p + 5 * WarpSize]; o.W5 = a.SlotValue[p + 5 * WarpSize]; }
        if (row + 6 < end) { o.I6 = a.SlotIndex[p + 6 * WarpSize]; o.W6 = a.SlotValue[p + 6 * WarpSize]; }
        if (row + 7 < end) { o.I7 = a.SlotIndex[p + 7 * WarpSize]; o.W7 = a.SlotValue[p + 7 * WarpSize]; }
        return o;
    }

    public readonly TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage, int rowsLeft)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        sums = sums.Add(add, stage, I0, W0);
        sums = sums.Add(add, stage, I1, W1);
        sums = sums.Add(add, stage, I2, W2);
        sums = sums.Add(add, stage, I3, W3);
        sums = sums.Add(add, stage, I4, W4);
        sums = sums.Add(add, stage, I5, W5);
        sums = sums.Add(add, stage, I6, W6);
        return sums.Add(add, stage, I7, W7);
    }
}

/// <summary>Four rows: for tiles of eight or sixteen columns.</summary>
internal struct SlotFour : ISlotChunk<SlotFour>
{
    public int I0, I1, I2, I3;
    public float W0, W1, W2, W3;

    public readonly int Rows => 4;

    public readonly bool InTurn => false;

    public readonly SlotFour Load(ProgramArgs a, long slots, int row, int end, int lane)
    {
        long p = slots + (long)row * WarpSize + lane;
        var o = default(SlotFour);
        if (row < end) { o.I0 = a.SlotIndex[p]; o.W0 = a.SlotValue[p]; }
        if (row + 1 < end) { o.I1 = a.SlotIndex[p + WarpSize]; o.W1 = a.SlotValue[p + WarpSize]; }
        if (row + 2 < end) { o.I2 = a.SlotIndex[p + 2 * WarpSize]; o.W2 = a.SlotValue[p + 2 * WarpSize]; }
        if (row + 3 < end) { o.I3 = a.SlotIndex[p + 3 * WarpSize]; o.W3 = a.SlotValue[p + 3 * WarpSize]; }
        return o;
    }

    public readonly TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage, int rowsLeft)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        sums = sums.Add(add, stage, I0, W0);
        sums = sums.Add(add, stage, I1, W1);
        sums = sums.Add(add, stage, I2, W2);
        return sums.Add(add, stage, I3, W3);
    }
}
