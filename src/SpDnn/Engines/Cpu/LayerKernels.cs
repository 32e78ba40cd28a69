using System.Runtime.Intrinsics;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The two ways the CPU engine computes one layer for a tile of up to 16 live rows, held
/// densely and image-interleaved (input i of lane l at tile[i·16 + l], unused lanes zero), so
/// SIMD operations serve 16 rows at once. Both add the products x_i·W(i, j) for each output j in
/// ascending i, multiplying and adding separately (no fused multiply-add), exactly as the
/// reference engine does, so results are bit-identical to it on any data. Then, per output:
/// bias only where the sum is nonzero, cap at YMax, ReLU. Each lane's positive results are
/// written as (index, value) pairs in ascending index to outIndex/outValue[l·laneStride + c],
/// with c counted in counts[l] (which the caller zeroes).
/// <para>
/// An engine makes one instance for the SIMD width chosen once (<see cref="Create"/>); the
/// kernels are <see cref="TileKernels{TVector}"/>, compiled by the JIT for that width, so a
/// tile costs one virtual call and its loops none.
/// </para>
/// </summary>
internal abstract unsafe class LayerKernels
{
    /// <summary>The kernels for <paramref name="simd"/>, <see cref="CpuSimd.Auto"/> resolved for this machine.</summary>
    public static LayerKernels Create(CpuSimd simd) => Resolve(simd) switch
    {
        CpuSimd.Vector512 => new TileKernels<TileVector512>(),
        CpuSimd.Vector256 => new TileKernels<TileVector256x2>(),
        _ => new TileKernels<TileVector128x4>(),
    };

    /// <summary>The widest width the machine runs in hardware; a forced width as given.</summary>
    public static CpuSimd Resolve(CpuSimd simd) => simd switch
    {
        CpuSimd.Auto when Vector512.IsHardwareAccelerated => CpuSimd.Vector512,
        CpuSimd.Auto when Vector256.IsHardwareAccelerated => CpuSimd.Vector256,
        CpuSimd.Auto => CpuSimd.Vector128,
        _ => simd,
    };

    /// <summary>The width, as the engine reports it (Details["simd"]); "(emulated)" when forced onto a machine without it.</summary>
    public abstract string Description { get; }

    /// <summary>Whether <see cref="Avx512Kernels.GatherRow"/> may run: Vector512 tiles on a machine with AVX-512 and AVX2.</summary>
    public abstract bool HasRowKernel { get; }

    /// <summary>
    /// Sparse input (scatter): for every input i in <paramref name="inputs"/> (the ascending
    /// union of the tile's nonzero inputs) adds W(i, j)·x_i to the sums of each j of row i.
    /// <paramref name="sums"/> (padded N·16 floats) must be zero on entry and is zero again on return.
    /// </summary>
    public abstract void ScatterTile(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums,
        int* outIndex, float* outValue, int laneStride, int* counts);

    /// <summary>
    /// Dense tile (gather): outputs j0 .. j1-1 (j0 a multiple of 16; j1 one too, or N), each the
    /// sum over its column's inputs. Lane regions must hold 16 entries past any count reached
    /// (the block stores may write whole vectors).
    /// </summary>
    public abstract void GatherTile(CpuLayerPlan plan, int j0, int j1, float* tile,
        int* outIndex, float* outValue, int laneStride, int* counts);

    /// <summary>
    /// The gather into a dense tile (the tile-by-tile order, <see cref="TileOrderRun"/>) over
    /// <paramref name="groups"/> (the plan's <see cref="CpuLayerPlan.Groups"/>, or those without
    /// inputs the tile holds zero on, <see cref="ColumnGroups.WithoutInputs"/>): every computed output j written whole at
    /// <paramref name="output"/>[j·16 + l], lanes not kept as +0. Tile row <see cref="ColumnGroups.Inputs"/>
    /// must be zero; output row <see cref="ColumnGroups.Outputs"/> (the last group's unused positions) gets junk.
    /// </summary>
    public abstract void GatherGroups(CpuLayerPlan plan, ColumnGroups groups, float* tile, float* output);

    /// <summary>
    /// <see cref="GatherGroups"/> for two tiles at once (<paramref name="tile0"/> into
    /// <paramref name="output0"/>, <paramref name="tile1"/> into <paramref name="output1"/>): each
    /// weight and input index is read once for both, so the weights stream from memory half as often.
    /// </summary>
    public abstract void GatherGroupPair(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* output0, float* output1);

    /// <summary><see cref="GatherGroups"/> for four tiles at once (tile t into output t), each weight and index read once for all four.</summary>
    public abstract void GatherGroupQuad(CpuLayerPlan plan, ColumnGroups groups, float* tile0, float* tile1, float* tile2, float* tile3,
        float* output0, float* output1, float* output2, float* output3);

    /// <summary>
    /// The scatter into a dense tile: like <see cref="ScatterTile"/> over the ascending inputs in
    /// <paramref name="inputs"/>, with every computed output written whole to <paramref name="output"/>.
    /// </summary>
    public abstract void ScatterDense(CpuLayerPlan plan, int* inputs, int inputCount, float* tile, float* sums, float* output);

    /// <summary>Lists, ascending, the rows 0 .. rows-1 of a dense tile with some lane not ±0; returns their number.</summary>
    public abstract int NonZeroRows(float* tile, int rows, int* list);

    /// <summary>
    /// Rows 0 .. rows-1 of a dense tile with some lane not ±0 (NaN included), counted; in
    /// <paramref name="lanes"/>, bit l set where some row is not ±0 in lane l. One pass serves
    /// the next layer's density rule and the live-image count.
    /// </summary>
    public abstract int NonZeroRowCount(float* tile, int rows, out uint lanes);

    /// <summary>Sets bit i of <paramref name="seen"/> (64 rows a word) for each row i of 0 .. rows-1 of a dense tile with some lane not ±0.</summary>
    public abstract void MarkNonZeroRows(float* tile, int rows, ulong* seen);

    /// <summary>Whether every lane of the tile's rows at <paramref name="rowOffsets"/> (row · 16) is ±0.</summary>
    public abstract bool ZeroOnRows(float* tile, int* rowOffsets, int count);

    /// <summary>
    /// Per lane l, the first row of 0 .. rows-1 with the largest value in that lane (the read-out's
    /// rule, <see cref="ClassReadOut.Argmax"/>: strictly greater wins, a NaN never does), as a float at classes[l].
    /// </summary>
    public abstract void ArgmaxLanes(float* tile, int rows, float* classes);
}
