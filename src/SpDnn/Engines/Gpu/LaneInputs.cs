using ILGPU;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>Where a column-lane kernel reads input i of its lane's column (<see cref="ColumnLaneKernel"/>, <see cref="ImageBitsKernel"/>).</summary>
internal interface ILaneInputs
{
    float Of(int input, int lane);
}

/// <summary>Inputs staged as floats in shared memory, input i's row of 32 columns at stage[i * 32] (one wavefront a row).</summary>
internal struct StagedLaneInputs(ArrayView<float> stage) : ILaneInputs
{
    public readonly float Of(int input, int lane) => stage[input * WarpSize + lane];
}

/// <summary>
/// Binary images as bits: word i holds input i of the tile's 32 columns (bit = lane), every
/// nonzero equal to <paramref name="value"/>. All lanes read the same word: one wavefront, or one
/// broadcast load, an entry.
/// </summary>
internal struct BitLaneInputs(ArrayView<uint> bits, float value) : ILaneInputs
{
    public readonly float Of(int input, int lane) => ((bits[input] >> lane) & 1u) != 0 ? value : 0f;
}
