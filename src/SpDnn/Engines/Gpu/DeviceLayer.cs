using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>A <see cref="TiledLayer"/> resident in device memory.</summary>
internal sealed class DeviceLayer : IDisposable
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _outputs, _blockStages, _stageStarts, _footprint, _warpRows;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> _slotIndex;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _slotValue, _bias;

    public DeviceLayer(Accelerator accelerator, TiledLayer layer)
    {
        Blocks = layer.Blocks;
        _outputs = Upload(accelerator, layer.Outputs);
        _blockStages = Upload(accelerator, layer.BlockStages);
        _stageStarts = Upload(accelerator, layer.StageStarts);
        _footprint = Upload(accelerator, layer.Footprint);
        _warpRows = Upload(accelerator, layer.WarpRows);
        _slotIndex = Upload(accelerator, layer.SlotIndex);
        _slotValue = Upload(accelerator, layer.SlotValue);
        _bias = Upload(accelerator, layer.Bias);
    }

    public int Blocks { get; }

    public LayerArgs Bind(LayerArgs state)
    {
        state.Outputs = _outputs.View;
        state.BlockStages = _blockStages.View;
        state.StageStarts = _stageStarts.View;
        state.Footprint = _footprint.View;
        state.WarpRows = _warpRows.View;
        state.SlotIndex = _slotIndex.View;
        state.SlotValue = _slotValue.View;
        state.Bias = _bias.View;
        return state;
    }

    private static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Accelerator accelerator, T[] data) where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(Math.Max(1, data.Length));
        if (data.Length > 0) buffer.View.SubView(0, data.Length).CopyFromCPU(data);
        return buffer;
    }

    public void Dispose()
    {
        _outputs.Dispose();
        _blockStages.Dispose();
        _stageStarts.Dispose();
        _footprint.Dispose();
        _warpRows.Dispose();
        _slotIndex.Dispose();
        _slotValue.Dispose();
        _bias.Dispose();
    }
}
