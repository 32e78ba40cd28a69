using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A chunk of layers in device memory: either one chunk uploaded for good (weights resident),
/// or a slot sized for the largest chunk that streamed chunks are copied into in turn.
/// </summary>
internal sealed class DeviceChunk : IDisposable
{
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _table;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _outputs, _copyStarts, _copies, _blockStages, _stageStarts, _footprint, _warpRows;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> _slotIndex;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _slotValue, _bias;

    /// <summary>Uploads <paramref name="chunk"/> (synchronously).</summary>
    public DeviceChunk(Accelerator accelerator, LayerChunk chunk)
        : this(accelerator, ChunkShape.Of(chunk))
    {
        Upload(_table, chunk.Table);
        Upload(_outputs, chunk.Outputs);
        Upload(_copyStarts, chunk.CopyStarts);
        Upload(_copies, chunk.Copies);
        Upload(_blockStages, chunk.BlockStages);
        Upload(_stageStarts, chunk.StageStarts);
        Upload(_footprint, chunk.Footprint);
        Upload(_warpRows, chunk.WarpRows);
        Upload(_slotIndex, chunk.SlotIndex);
        Upload(_slotValue, chunk.SlotValue);
        Upload(_bias, chunk.Bias);
        FirstLayer = chunk.FirstLayer;
    }

    /// <summary>An empty slot able to hold any chunk no larger than <paramref name="capacity"/>.</summary>
    public DeviceChunk(Accelerator accelerator, ChunkShape capacity)
    {
        try
        {
            _table = accelerator.Allocate1D<long>(Math.Max(1, capacity.Table));
            _outputs = accelerator.Allocate1D<int>(Math.Max(1, capacity.Outputs));
            _copyStarts = accelerator.Allocate1D<int>(Math.Max(1, capacity.CopyStarts));
            _copies = accelerator.Allocate1D<int>(Math.Max(1, capacity.Copies));
            _blockStages = accelerator.Allocate1D<int>(Math.Max(1, capacity.BlockStages));
            _stageStarts = accelerator.Allocate1D<int>(Math.Max(1, capacity.StageStarts));
            _footprint = accelerator.Allocate1D<int>(Math.Max(1, capacity.Footprint));
            _warpRows = accelerator.Allocate1D<int>(Math.Max(1, capacity.WarpRows));
            _slotIndex = accelerator.Allocate1D<ushort>(Math.Max(1, capacity.Slots));
            _slotValue = accelerator.Allocate1D<float>(Math.Max(1, capacity.Slots));
            _bias = accelerator.Allocate1D<float>(Math.Max(1, capacity.Bias));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Index in the network of the first layer held (-1: none yet).</summary>
    public int FirstLayer { get; private set; } = -1;

    /// <summary>Starts copying <paramref name="chunk"/> in on <paramref name="stream"/>; it may be used once the stream has finished.</summary>
    public void BeginLoad(AcceleratorStream stream, PinnedChunk chunk)
    {
        Copy(stream, chunk.Table, _table);
        Copy(stream, chunk.Outputs, _outputs);
        Copy(stream, chunk.CopyStarts, _copyStarts);
        Copy(stream, chunk.Copies, _copies);
        Copy(stream, chunk.BlockStages, _blockStages);
        Copy(stream, chunk.StageStarts, _stageStarts);
        Copy(stream, chunk.Footprint, _footprint);
        Copy(stream, chunk.WarpRows, _warpRows);
        Copy(stream, chunk.SlotIndex, _slotIndex);
        Copy(stream, chunk.SlotValue, _slotValue);
        Copy(stream, chunk.Bias, _bias);
        FirstLayer = chunk.FirstLayer;
    }

    public ProgramArgs Bind(ProgramArgs args)
    {
        args.Table = _table.View;
        args.Outputs = _outputs.View;
        args.CopyStarts = _copyStarts.View;
        args.Copies = _copies.View;
        args.BlockStages = _blockStages.View;
        args.StageStarts = _stageStarts.View;
        args.Footprint = _footprint.View;
        args.WarpRows = _warpRows.View;
        args.SlotIndex = _slotIndex.View;
        args.SlotValue = _slotValue.View;
        args.Bias = _bias.View;
        args.ChunkFirstLayer = FirstLayer;
        return args;
    }

    private static void Upload<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, T[] data) where T : unmanaged
    {
        if (data.Length > 0) buffer.View.SubView(0, data.Length).CopyFromCPU(data);
    }

    private static void Copy<T>(AcceleratorStream stream, PageLockedArray1D<T> source, MemoryBuffer1D<T, Stride1D.Dense> target) where T : unmanaged
    {
        long length = source.Length;
        if (length > target.Length) throw new InvalidOperationException("A streamed chunk is larger than its device slot.");
        target.View.SubView(0, length).CopyFrom(stream, source.ArrayView);
    }

    public void Dispose()
    {
        _table?.Dispose();
        _outputs?.Dispose();
        _copyStarts?.Dispose();
        _copies?.Dispose();
        _blockStages?.Dispose();
        _stageStarts?.Dispose();
        _footprint?.Dispose();
        _warpRows?.Dispose();
        _slotIndex?.Dispose();
        _slotValue?.Dispose();
        _bias?.Dispose();
    }
}

/// <summary>Array lengths of a chunk: what a device slot must hold.</summary>
internal readonly record struct ChunkShape(long Table, long Outputs, long CopyStarts, long Copies, long BlockStages, long StageStarts, long Footprint,
    long WarpRows, long Slots, long Bias)
{
    public static ChunkShape Of(LayerChunk c) => new(c.Table.Length, c.Outputs.Length, c.CopyStarts.Length, c.Copies.Length, c.BlockStages.Length,
        c.StageStarts.Length, c.Footprint.Length, c.WarpRows.Length, c.SlotIndex.Length, c.Bias.Length);

    public static ChunkShape Max(ChunkShape a, ChunkShape b) => new(Math.Max(a.Table, b.Table), Math.Max(a.Outputs, b.Outputs),
        Math.Max(a.CopyStarts, b.CopyStarts), Math.Max(a.Copies, b.Copies),
        Math.Max(a.BlockStages, b.BlockStages), Math.Max(a.StageStarts, b.StageStarts), Math.Max(a.Footprint, b.Footprint),
        Math.Max(a.WarpRows, b.WarpRows), Math.Max(a.Slots, b.Slots), Math.Max(a.Bias, b.Bias));

    /// <summary>Device bytes of a slot of this shape.</summary>
    public long Bytes => 8 * Table + 4 * (Outputs + CopyStarts + Copies + BlockStages + StageStarts + Footprint + WarpRows + Bias) + 6 * Slots;
}
