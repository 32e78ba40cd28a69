using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A <see cref="LayerChunk"/> kept in page-locked host memory, for networks whose weights do not
/// fit the device: such a chunk can be copied to the device asynchronously while another computes.
/// </summary>
internal sealed class PinnedChunk : IDisposable
{
    public PinnedChunk(Accelerator accelerator, LayerChunk chunk)
    {
        FirstLayer = chunk.FirstLayer;
        try
        {
            Table = Pin(accelerator, chunk.Table);
            Outputs = Pin(accelerator, chunk.Outputs);
            CopyStarts = Pin(accelerator, chunk.CopyStarts);
            Copies = Pin(accelerator, chunk.Copies);
            BlockStages = Pin(accelerator, chunk.BlockStages);
            StageStarts = Pin(accelerator, chunk.StageStarts);
            Footprint = Pin(accelerator, chunk.Footprint);
            WarpRows = Pin(accelerator, chunk.WarpRows);
            SlotIndex = Pin(accelerator, chunk.SlotIndex);
            SlotValue = Pin(accelerator, chunk.SlotValue);
            Bias = Pin(accelerator, chunk.Bias);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int FirstLayer { get; }

    public PageLockedArray1D<long> Table { get; } = null!;
    public PageLockedArray1D<int> Outputs { get; } = null!;
    public PageLockedArray1D<int> CopyStarts { get; } = null!;
    public PageLockedArray1D<int> Copies { get; } = null!;
    public PageLockedArray1D<int> BlockStages { get; } = null!;
    public PageLockedArray1D<int> StageStarts { get; } = null!;
    public PageLockedArray1D<int> Footprint { get; } = null!;
    public PageLockedArray1D<int> WarpRows { get; } = null!;
    public PageLockedArray1D<ushort> SlotIndex { get; } = null!;
    public PageLockedArray1D<float> SlotValue { get; } = null!;
    public PageLockedArray1D<float> Bias { get; } = null!;

    private static PageLockedArray1D<T> Pin<T>(Accelerator accelerator, T[] data) where T : unmanaged
    {
        var pinned = accelerator.AllocatePageLocked1D<T>(Math.Max(1, data.Length));
        data.AsSpan().CopyTo(pinned.Span);
        return pinned;
    }

    public void Dispose()
    {
        Table?.Dispose();
        Outputs?.Dispose();
        CopyStarts?.Dispose();
        Copies?.Dispose();
        BlockStages?.Dispose();
        StageStarts?.Dispose();
        Footprint?.Dispose();
        WarpRows?.Dispose();
        SlotIndex?.Dispose();
        SlotValue?.Dispose();
        Bias?.Dispose();
    }
}
