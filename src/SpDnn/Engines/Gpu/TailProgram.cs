using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The layers after the live rows have shrunk to one tile (the challenge networks converge to
/// one or two distinct rows within ~30 layers, then run hundreds or thousands of layers so):
/// ONE group runs them all, layer after layer, with the resident-input layout — stage every
/// input of the live columns, compute every output (<see cref="ResidentInputKernel"/>'s code),
/// compact the live list in the group — so a layer costs a few group barriers instead of a grid
/// barrier across hundreds of groups (measured 13-17 us a layer, at every N, with 1-2 rows).
/// Its layout keeps every output (no merged duplicates): a lane's copies are written one after
/// another, each after reading its index, and with one group that chain was the layer's time
/// (measured 17.5 us a layer at N = 1024 with the merged layout).
/// Bit-identical to the layer program: the same sums in the same order, the same lists.
/// </summary>
internal static class TailProgram
{
    /// <summary>
    /// Widest tile the tail takes: once rows have converged one or two live; a narrow tile stages
    /// little and reads weights eight rows ahead (the chain of L2 reads is what a layer waits on).
    /// </summary>
    public const int MaxColumns = 4;

    /// <summary>Runs layers FirstLayer .. EndLayer-1 (all with a resident-input layout) while at most one tile of rows lives.</summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TSums">The tile width (live columns).</typeparam>
    /// <typeparam name="TChunk">How many weight rows are read ahead.</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TSums, TChunk, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TSums : struct, IColumnSums<TSums>
        where TChunk : struct, ISlotChunk<TChunk>
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.GetDynamic<float>();
        var warpMasks = SharedMemory.Allocate<int>(ResidentInputKernel.MaxWarps);
        var tileColumns = SharedMemory.Allocate<int>(16);
        int columns = default(TSums).Columns, pitch = default(TSums).Pitch;
        int tid = Group.IdxX, warp = tid / WarpSize, lane = tid % WarpSize, warps = Group.DimX / WarpSize;
        // Written by the launch before (stream order): every thread reads the same count.
        int rows = a.LiveRows[a.FirstLayer];
        for (int k = a.FirstLayer; k < a.EndLayer && rows > 0; k++)
        {
            bool odd = (k & 1) != 0;
            var input = odd ? a.Features1 : a.Features0;
            var output = odd ? a.Features0 : a.Features1;
            var live = odd ? a.Live1 : a.Live0;
            long row = ((long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer + LayerChunk.TailRow) * LayerChunk.TableStride;
            var layer = LayerBases.Read(a, row);
            var form = default(TForms).Of(a, row, k);
            // The layer program after this launch expects the next counts cleared (see LayerProgram.Run).
            var upcoming = LayerProgram.NonzerosOf(a, k + 1);
            for (int p = tid; p < LayerProgram.GroupSize && p < upcoming.Length; p += Group.DimX) upcoming[p] = 0;
            if (tid < columns) tileColumns[tid] = tid < rows ? live[tid] : -1;
            Group.Barrier();
            bool inexact = ResidentInputKernel.Stage(a, input, tileColumns, columns, pitch, form.Inputs(a), stage, layer);
            bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;
            int mask = fused
                ? ResidentInputKernel.ComputeSlices<TFused, TSums, TChunk, TForms>(a, default, layer, form, output, 0, rows, warp, warps, lane, stage, inTurn: false)
                : ResidentInputKernel.ComputeSlices<RoundedProductSum, TSums, TChunk, TForms>(a, RoundedProductSum.For(a), layer, form, output, 0, rows, warp, warps, lane, stage, inTurn: false);
            for (int d = WarpSize / 2; d > 0; d /= 2) mask |= Warp.ShuffleXor(mask, d);
            if (lane == 0) warpMasks[warp] = mask;
            Group.Barrier();
            int kept = 0;
            for (int w = 0; w < warps; w++) kept |= warpMasks[w];
            // Only live columns count (the others hold no image).
            kept &= (1 << rows) - 1;
            // Before a layer that adds its bias always, all-zero rows stay (they are not live images).
            int nonzero = kept;
            if (form.KeepsZeroRows) kept = (1 << rows) - 1;
            // Position p keeps its place among the kept ones: the lists stay in ascending order.
            if (tid < rows && (kept >> tid & 1) != 0)
                LayerProgram.WriteKeptPosition(a, odd, IntrinsicMath.PopCount((uint)(kept & ((1 << tid) - 1))), tid);
            int next = IntrinsicMath.PopCount((uint)kept);
            Group.Barrier();
            if (tid == 0)
            {
                var multiplicity = odd ? a.Multiplicity0 : a.Multiplicity1;
                int images = 0;
                for (int q = 0; q < next; q++)
                    if (!form.KeepsZeroRows || (nonzero >> q & 1) != 0) images += multiplicity[q];
                a.LiveRows[k + 1] = next;
                a.LiveImages[k] = images;
            }
            rows = next;
        }
    }
}
