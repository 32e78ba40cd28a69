using ILGPU;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Four warp rows of one lane's slots in a layout with vector slots (<see cref="ResidentLayerPlanner.VectorSlot"/>):
/// the four 16-bit input indices as one 8-byte load and the four weights as one 16-byte load.
/// </summary>
internal struct VectorSlotRows
{
    public IndexQuad Inputs;
    public Quad Weights;

    /// <summary>Rows <paramref name="row"/> .. row + 3 (<paramref name="row"/> a multiple of four) of <paramref name="lane"/>, or zero weights at or past <paramref name="end"/> (a multiple of four).</summary>
    public static VectorSlotRows Load(ProgramArgs a, long slots, int row, int end, int lane)
    {
        if (row >= end) return default;
        // The layer's slots start at a multiple of eight (LayerChunk checks it); a chunk's slots
        // are fewer than 2^31 (LayerChunk checks it): 32-bit offsets take fewer instructions.
        int quad = (int)(slots >> 2) + (row >> 2) * WarpSize + lane;
        return new VectorSlotRows { Inputs = a.SlotIndex.Cast<IndexQuad>()[quad], Weights = a.SlotValue.Cast<Quad>()[quad] };
    }

    /// <summary>Adds the four rows' products to <paramref name="sums"/>, row by row.</summary>
    public readonly TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        sums = sums.Add(add, stage, (int)(Inputs.Low & 0xFFFF), Weights.X);
        sums = sums.Add(add, stage, (int)(Inputs.Low >> 16), Weights.Y);
        sums = sums.Add(add, stage, (int)(Inputs.High & 0xFFFF), Weights.Z);
        return sums.Add(add, stage, (int)(Inputs.High >> 16), Weights.W);
    }
}

/// <summary>Eight rows of vector slots (two loads of four): for tiles of up to four columns.</summary>
internal struct VectorSlotOctet : ISlotChunk<VectorSlotOctet>
{
    public VectorSlotRows Low, High;

    public readonly int Rows => 8;

    public readonly bool InTurn => true;

    public readonly VectorSlotOctet Load(ProgramArgs a, long slots, int row, int end, int lane) =>
        new() { Low = VectorSlotRows.Load(a, slots, row, end, lane), High = VectorSlotRows.Load(a, slots, row + 4, end, lane) };

    /// <summary>Adds the rows below the slice's end: the second four only where some are (the layout pads warp rows to fours, not eights).</summary>
    public readonly TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage, int rowsLeft)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
    {
        sums = Low.AddTo(add, sums, stage);
        return rowsLeft > 4 ? High.AddTo(add, sums, stage) : sums;
    }
}

/// <summary>Four rows of vector slots (one load of four): for tiles of eight or sixteen columns.</summary>
internal struct VectorSlotFour : ISlotChunk<VectorSlotFour>
{
    public VectorSlotRows Slots;

    public readonly int Rows => 4;

    public readonly bool InTurn => true;

    public readonly VectorSlotFour Load(ProgramArgs a, long slots, int row, int end, int lane) => new() { Slots = VectorSlotRows.Load(a, slots, row, end, lane) };

    public readonly TSums AddTo<TSum, TSums>(TSum add, TSums sums, ArrayView<float> stage, int rowsLeft)
        where TSum : struct, IProductSum
        where TSums : struct, IColumnSums<TSums> => Slots.AddTo(add, sums, stage);
}
