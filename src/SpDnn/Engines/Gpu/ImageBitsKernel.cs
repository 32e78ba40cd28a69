using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The first layer computed straight from binary images kept as bits (<see cref="ImageEncoding.Bits"/>):
/// 4 bytes per input for a tile of 32 images, where the expanded features take 128 — the
/// first layer of the challenge networks read every image as floats (15.7 GB at N = 65536,
/// measured 10 ms on the H100; 245 MB and 0.29 ms at N = 1024) and did little else. One group
/// per tile of 32 images (lanes are images, as in <see cref="ColumnLaneKernel"/>, whose layout
/// and sums it shares): the tile's bits are copied to shared memory where they fit, then each
/// warp adds whole outputs, every lane the same entry, a lane's input being the value or 0 by
/// its bit. Sums in ascending input order, rounded or fused as the reference's (a zero input
/// adds +0 or -0 to a sum that starts at +0 and so never is -0: no change, as in the reference).
/// The epilogue writes each output's row segment and its copies and flags the images with a
/// nonzero output for the layer program's compaction (<see cref="ProgramArgs.PrecomputedLayer"/>).
/// </summary>
internal static class ImageBitsKernel
{
    /// <summary>Images per tile: one per lane.</summary>
    public const int Columns = WarpSize;

    /// <summary>Threads per group: small groups, several per multiprocessor, so one group's copy of its bits overlaps another's sums.</summary>
    public const int GroupSize = 256;

    public static KernelSpecialization Specialization => new(GroupSize, 4);

    /// <summary>Shared memory a tile's bits take for a layer of <paramref name="neurons"/> inputs.</summary>
    public static long StageBytes(int neurons) => (long)neurons * sizeof(uint);

    /// <summary>
    /// Computes the first layer (<see cref="ProgramArgs.FirstLayer"/>, whose live list is every
    /// image in order) for the tile of images Grid.IdxX, reading bits from Features0: the tile's
    /// word of input i at Grid.IdxX * inputs + i (<see cref="ImageUpload"/>).
    /// </summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.GetDynamic<uint>();
        var flags = SharedMemory.Allocate<int>(Columns);
        int k = a.FirstLayer;
        int rows = a.LiveRows[k];
        int first = Grid.IdxX * Columns;
        if (first >= rows) return;
        int valid = Math.Min(Columns, rows - first);
        long row = ((long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer + LayerChunk.ColumnLaneRow) * LayerChunk.TableStride;
        var layer = LayerBases.Read(a, row);
        var form = default(TForms).Of(a, row, k);
        int inputs = form.Inputs(a);
        var bits = a.Features0.Cast<uint>().SubView((long)Grid.IdxX * inputs, inputs);
        int tid = Group.IdxX, lane = tid % WarpSize, warp = tid / WarpSize, warps = Group.DimX / WarpSize;
        if (tid < Columns) flags[tid] = 0;
        bool staged = a.ImageBitsStaged != 0;
        if (staged)
            for (int i = tid; i < inputs; i += Group.DimX) stage[i] = bits[i];
        Group.Barrier();
        var output = a.Features1;
        // Every input is 0 or the one value: the products are exact where that value is.
        bool fused = a.FusedProducts != 0 && ExactProducts.Passes(a.ImageValue, layer.ProductLow, layer.ProductHigh);
        var source = new BitLaneInputs(staged ? stage.SubView(0, inputs) : bits, a.ImageValue);
        bool any = fused
            ? ColumnLaneKernel.Lists<TFused, TForms, BitLaneInputs>(a, default, layer, form, output, source, first, valid, warp, warps, lane)
            : ColumnLaneKernel.Lists<RoundedProductSum, TForms, BitLaneInputs>(a, RoundedProductSum.For(a), layer, form, output, source, first, valid, warp, warps, lane);
        if (any) flags[lane] = 1;
        Group.Barrier();
        if (tid < valid && flags[tid] != 0) a.Nonzeros[(k % 3) * a.NonzeroLength + first + tid] = 1;
    }
}
