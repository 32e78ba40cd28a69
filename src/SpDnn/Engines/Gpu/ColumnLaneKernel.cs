using ILGPU;
using ILGPU.Runtime;
using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>Eight 16-bit input indices read as one 16-byte vector.</summary>
internal struct IndexOctet
{
    public uint A, B, C, D;
}

/// <summary>Eight consecutive entries of one output's list: input indices and weights.</summary>
internal struct EntryOctet
{
    public IndexOctet Inputs;
    public Quad Low, High;

    public static EntryOctet Load(ArrayView<IndexOctet> inputs, ArrayView<Quad> weights, long octet) =>
        new() { Inputs = inputs[octet], Low = weights[2 * octet], High = weights[2 * octet + 1] };

    /// <summary>Adds the eight products of this lane's column, in entry order.</summary>
    public readonly float AddTo<TSum, TInputs>(TSum add, float sum, TInputs inputs, int lane)
        where TSum : struct, IProductSum
        where TInputs : struct, ILaneInputs
    {
        sum = add.Add(sum, inputs.Of((int)(Inputs.A & 0xFFFF), lane), Low.X);
        sum = add.Add(sum, inputs.Of((int)(Inputs.A >> 16), lane), Low.Y);
        sum = add.Add(sum, inputs.Of((int)(Inputs.B & 0xFFFF), lane), Low.Z);
        sum = add.Add(sum, inputs.Of((int)(Inputs.B >> 16), lane), Low.W);
        sum = add.Add(sum, inputs.Of((int)(Inputs.C & 0xFFFF), lane), High.X);
        sum = add.Add(sum, inputs.Of((int)(Inputs.C >> 16), lane), High.Y);
        sum = add.Add(sum, inputs.Of((int)(Inputs.D & 0xFFFF), lane), High.Z);
        return add.Add(sum, inputs.Of((int)(Inputs.D >> 16), lane), High.W);
    }
}

/// <summary>
/// The full-width layer kernel for narrow layers (N up to ~1800): lanes are live columns. One
/// group per tile of 32 live columns stages every input for them (N x 32 floats: input i's row
/// is 128 bytes, one shared-memory wavefront), then each warp takes whole outputs: all lanes add
/// the same entry, so a lane reads its own column of one staged row — no bank conflicts, 32
/// multiply-adds per wavefront, where <see cref="ResidentInputKernel"/>'s lanes (outputs) read
/// random rows (measured ~12 per wavefront at 16 columns). The entries are the same for all
/// lanes: read as 16-byte vectors of eight (<see cref="ColumnLaneLayerPlanner"/>), up to four
/// vectors in flight. Sums in ascending input order, rounded or fused as
/// the reference's; the epilogue writes each output's row segment (and its copies) whole, and
/// flags the columns with a nonzero output for the layer program's compaction.
/// </summary>
internal static class ColumnLaneKernel
{
    /// <summary>Live columns per tile: one per lane.</summary>
    public const int Columns = WarpSize;

    /// <summary>Entries read at once (16-byte vectors of indices and weights).</summary>
    public const int EntriesPerRead = 8;

    /// <summary>Shared memory of the stage of a layer of <paramref name="neurons"/> inputs.</summary>
    public static long StageBytes(int neurons) => (long)neurons * Columns * sizeof(float);

    /// <summary>Computes layer <see cref="ProgramArgs.FirstLayer"/> for the tile of live columns Grid.IdxX.</summary>
    /// <typeparam name="TFused">The fused multiply-add: the device's, or the CPU simulator's exact software one.</typeparam>
    /// <typeparam name="TForms">The layers' forms: the challenge's (constant), or read per layer (general networks).</typeparam>
    public static void Run<TFused, TForms>(ProgramArgs a)
        where TFused : struct, IProductSum
        where TForms : struct, IKernelLayerForms<TForms>
    {
        var stage = SharedMemory.GetDynamic<float>();
        var flags = SharedMemory.Allocate<int>(Columns);
        var tileColumns = SharedMemory.Allocate<int>(Columns);
        int k = a.FirstLayer;
        int rows = a.LiveRows[k];
        int first = Grid.IdxX * Columns;
        // The host sizes the grid by an upper bound of the live rows: surplus groups leave at once.
        if (first >= rows) return;
        int valid = Math.Min(Columns, rows - first);
        bool odd = (k & 1) != 0;
        var input = odd ? a.Features1 : a.Features0;
        var output = odd ? a.Features0 : a.Features1;
        var live = odd ? a.Live1 : a.Live0;
        long row = ((long)(k - a.ChunkFirstLayer) * LayerChunk.RowsPerLayer + LayerChunk.ColumnLaneRow) * LayerChunk.TableStride;
        var layer = LayerBases.Read(a, row);
        var form = default(TForms).Of(a, row, k);
        int tid = Group.IdxX, lane = tid % WarpSize, warp = tid / WarpSize, warps = Group.DimX / WarpSize;
        if (tid < Columns)
        {
            tileColumns[tid] = tid < valid ? live[first + tid] : -1;
            flags[tid] = 0;
        }
        Group.Barrier();
        bool inexact = Stage(a, input, tileColumns, form.Inputs(a), stage, layer);
        bool fused = !Group.BarrierOr(inexact) && a.FusedProducts != 0;
        bool any = fused
            ? Lists<TFused, TForms, StagedLaneInputs>(a, default, layer, form, output, new StagedLaneInputs(stage), first, valid, warp, warps, lane)
            : Lists<RoundedProductSum, TForms, StagedLaneInputs>(a, RoundedProductSum.For(a), layer, form, output, new StagedLaneInputs(stage), first, valid, warp, warps, lane);
        if (any) flags[lane] = 1;
        Group.Barrier();
        if (tid < valid && flags[tid] != 0) a.Nonzeros[(k % 3) * a.NonzeroLength + first + tid] = 1;
    }

    /// <summary>
    /// Copies input i's values of the tile's columns to stage[i * 32 + lane] (0 for columns
    /// past the live ones), four loads in flight per thread; returns whether a staged value
    /// breaks the exact-product bounds. The caller's barrier makes the stage visible.
    /// </summary>
    private static bool Stage(ProgramArgs a, ArrayView<float> input, ArrayView<int> tileColumns, int neurons, ArrayView<float> stage, LayerBases layer)
    {
        int column = tileColumns[Group.IdxX % Columns];
        int rowsPerStep = Group.DimX / Columns;
        float low = layer.ProductLow, high = layer.ProductHigh;
        bool inexact = false;
        for (int i = Group.IdxX / Columns; i < neurons; i += 4 * rowsPerStep)
        {
            int i1 = i + rowsPerStep, i2 = i + 2 * rowsPerStep, i3 = i + 3 * rowsPerStep;
            float v0 = column >= 0 ? input[i * a.Stride + column] : 0f;
            float v1 = column >= 0 && i1 < neurons ? input[i1 * a.Stride + column] : 0f;
            float v2 = column >= 0 && i2 < neurons ? input[i2 * a.Stride + column] : 0f;
            float v3 = column >= 0 && i3 < neurons ? input[i3 * a.Stride + column] : 0f;
            int lane = Group.IdxX % Columns;
            stage[i * Columns + lane] = v0;
            if (i1 < neurons) stage[i1 * Columns + lane] = v1;
            if (i2 < neurons) stage[i2 * Columns + lane] = v2;
            if (i3 < neurons) stage[i3 * Columns + lane] = v3;
            inexact |= !ExactProducts.Passes(v0, low, high) | !ExactProducts.Passes(v1, low, high)
                | !ExactProducts.Passes(v2, low, high) | !ExactProducts.Passes(v3, low, high);
        }
        return inexact;
    }

    /// <summary>
    /// This warp's lists (warp, warp + warps, ...): each lane sums its column over the list's
    /// entries in order, then writes the activation to the output's row and its copies. A list's
    /// entries are read up to 32 at once (four vectors of eight in flight), and the next list's
    /// bounds, output and bias while this one is added: the first version, one vector ahead, waited
    /// one L2 round trip per eight entries (measured 1.6x slower than the resident-input kernel).
    /// Returns whether this lane's column got a nonzero output.
    /// </summary>
    internal static bool Lists<TSum, TForms, TInputs>(ProgramArgs a, TSum add, LayerBases layer, TForms form, ArrayView<float> output, TInputs values,
        int first, int valid, int warp, int warps, int lane)
        where TSum : struct, IProductSum
        where TForms : struct, IKernelLayerForms<TForms>
        where TInputs : struct, ILaneInputs
    {
        var inputs = a.SlotIndex.Cast<IndexOctet>();
        var weights = a.SlotValue.Cast<Quad>();
        long octetBase = layer.Slots / EntriesPerRead;
        int lists = layer.Blocks;
        bool any = false;
        if (warp >= lists) return false;
        int start = a.WarpRows[layer.WarpRows + warp], end = a.WarpRows[layer.WarpRows + warp + 1];
        int j = a.Outputs[layer.Outputs + warp];
        float bias = a.Bias[layer.Bias + j];
        for (int t = warp; t < lists; t += warps)
        {
            bool more = t + warps < lists;
            int followingStart = more ? a.WarpRows[layer.WarpRows + t + warps] : 0;
            int followingEnd = more ? a.WarpRows[layer.WarpRows + t + warps + 1] : 0;
            int followingOutput = more ? a.Outputs[layer.Outputs + t + warps] : 0;
            float sum = 0f;
            for (int e = start; e < end; e += 4 * EntriesPerRead)
            {
                // Vectors past the list's end are not read (an empty last list may start at the array's end).
                long o = octetBase + e / EntriesPerRead;
                bool has1 = e + EntriesPerRead < end, has2 = e + 2 * EntriesPerRead < end, has3 = e + 3 * EntriesPerRead < end;
                var v0 = EntryOctet.Load(inputs, weights, o);
                var v1 = has1 ? EntryOctet.Load(inputs, weights, o + 1) : default;
                var v2 = has2 ? EntryOctet.Load(inputs, weights, o + 2) : default;
                var v3 = has3 ? EntryOctet.Load(inputs, weights, o + 3) : default;
                sum = v0.AddTo(add, sum, values, lane);
                if (has1) sum = v1.AddTo(add, sum, values, lane);
                if (has2) sum = v2.AddTo(add, sum, values, lane);
                if (has3) sum = v3.AddTo(add, sum, values, lane);
            }
            float followingBias = more ? a.Bias[layer.Bias + followingOutput] : 0f;
            float v = form.Apply(sum, bias);
            if (lane < valid)
            {
                any |= v != 0f;
                output[j * a.Stride + first + lane] = v;
                int c0 = a.CopyStarts[layer.CopyStarts + t], c1 = a.CopyStarts[layer.CopyStarts + t + 1];
                for (int c = c0; c < c1; c++) output[a.Copies[layer.Copies + c] * a.Stride + first + lane] = v;
            }
            start = followingStart;
            end = followingEnd;
            j = followingOutput;
            bias = followingBias;
        }
        return any;
    }
}
