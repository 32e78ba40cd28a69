using System.Buffers;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A <see cref="TiledLayer"/> as the planner leaves it: its arrays in pooled buffers longer than
/// their contents (the lengths kept here), so that planning a chunk after chunk reuses the same
/// memory rather than touching some 14 MB of fresh pages per layer of N = 65536 (page faults cost
/// more than the planning itself). <see cref="LayerChunk"/> packs it; disposing gives the buffers
/// back, after which it must not be read. <see cref="ToTiledLayer"/> copies it into arrays of its own.
/// </summary>
internal sealed class PooledTiledLayer : IChunkLayout, IDisposable
{
    private int[] _outputs, _copyStarts, _copies, _stageStarts, _footprint, _warpRows;
    private ushort[] _slotIndex;
    private float[] _slotValue;
    private readonly int[] _blockStages;
    private readonly int _copyCount, _stageCount, _footprintLength, _slots;
    private (float Low, float High)? _exactProductBounds;
    private bool _disposed;

    /// <param name="outputs">Output of each block thread (-1: idle), pooled: <paramref name="threads"/> used.</param>
    /// <param name="copyStarts">Pooled, <paramref name="threads"/> + 1 used, or empty: no copies at all.</param>
    /// <param name="copies">Pooled, <paramref name="copyCount"/> used.</param>
    /// <param name="blockStages">Exact.</param>
    /// <param name="stageStarts">Pooled, <paramref name="stageCount"/> + 1 used.</param>
    /// <param name="footprint">Pooled.</param>
    /// <param name="warpRows">Pooled, stageCount * WarpsPerBlock + 1 used.</param>
    /// <param name="slotIndex">Pooled, <paramref name="slots"/> used.</param>
    /// <param name="slotValue">Pooled, <paramref name="slots"/> used.</param>
    public PooledTiledLayer(int neurons, int threads, int[] outputs, int[] copyStarts, int[] copies, int copyCount, int[] blockStages,
        int[] stageStarts, int stageCount, int[] footprint, int footprintLength, int[] warpRows, ushort[] slotIndex, float[] slotValue, int slots,
        NetworkLayer layer, long computedNonZeros)
    {
        Neurons = neurons;
        Threads = threads;
        _outputs = outputs;
        _copyStarts = copyStarts;
        _copies = copies;
        _copyCount = copyCount;
        _blockStages = blockStages;
        _stageStarts = stageStarts;
        _stageCount = stageCount;
        _footprint = footprint;
        _footprintLength = footprintLength;
        _warpRows = warpRows;
        _slotIndex = slotIndex;
        _slotValue = slotValue;
        _slots = slots;
        Bias = layer.Bias;
        Inputs = layer.Inputs;
        Form = layer.Form;
        NonZeros = layer.Weights.NonZeros;
        ComputedNonZeros = computedNonZeros;
    }

    public int Neurons { get; }
    public int Threads { get; }
    public float[] Bias { get; }
    public int Inputs { get; }
    public LayerForm Form { get; }
    public long NonZeros { get; }
    public long ComputedNonZeros { get; }
    public int Blocks => _blockStages.Length - 1;

    /// <summary>Staged inputs of all blocks (the length of <see cref="TiledLayer.Footprint"/>).</summary>
    public int FootprintLength => _footprintLength;

    /// <summary>Warp-wide rows of slots.</summary>
    public long WarpRowCount => _warpRows[_stageCount * TiledLayout.WarpsPerBlock];

    public (float Low, float High) ExactProductBounds => _exactProductBounds ??= ExactProducts.Bounds(_slotValue.AsSpan(0, _slots));

    private ReadOnlySpan<int> Outputs => _outputs.AsSpan(0, Threads);
    private ReadOnlySpan<int> CopyStarts => _copyStarts.Length == 0 ? [] : _copyStarts.AsSpan(0, Threads + 1);
    private ReadOnlySpan<int> Copies => _copies.AsSpan(0, _copyCount);
    private ReadOnlySpan<int> StageStarts => _stageStarts.AsSpan(0, _stageCount + 1);
    private ReadOnlySpan<int> Footprint => _footprint.AsSpan(0, _footprintLength);
    private ReadOnlySpan<int> WarpRows => _warpRows.AsSpan(0, _stageCount * TiledLayout.WarpsPerBlock + 1);
    private ReadOnlySpan<ushort> SlotIndex => _slotIndex.AsSpan(0, _slots);
    private ReadOnlySpan<float> SlotValue => _slotValue.AsSpan(0, _slots);

    public ReadOnlySpan<byte> ArrayBytes(int array)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Bytes(array);
    }

    private ReadOnlySpan<byte> Bytes(int array) => array switch
    {
        ChunkArrays.Outputs => MemoryMarshal.AsBytes(Outputs),
        ChunkArrays.CopyStarts => MemoryMarshal.AsBytes(CopyStarts),
        ChunkArrays.Copies => MemoryMarshal.AsBytes(Copies),
        ChunkArrays.BlockStages => MemoryMarshal.AsBytes(_blockStages.AsSpan()),
        ChunkArrays.StageStarts => MemoryMarshal.AsBytes(StageStarts),
        ChunkArrays.Footprint => MemoryMarshal.AsBytes(Footprint),
        ChunkArrays.WarpRows => MemoryMarshal.AsBytes(WarpRows),
        ChunkArrays.SlotIndex => MemoryMarshal.AsBytes(SlotIndex),
        ChunkArrays.SlotValue => MemoryMarshal.AsBytes(SlotValue),
        ChunkArrays.Bias => MemoryMarshal.AsBytes(Bias.AsSpan()),
        _ => throw new ArgumentOutOfRangeException(nameof(array)),
    };

    /// <summary>The layout in arrays of its own (the pooled buffers stay with this object).</summary>
    public TiledLayer ToTiledLayer()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Copy();
    }

    private TiledLayer Copy() => new()
    {
        Neurons = Neurons,
        Outputs = Outputs.ToArray(),
        // Without copies, every thread's copies start (and end) at 0.
        CopyStarts = _copyStarts.Length == 0 ? new int[Threads + 1] : CopyStarts.ToArray(),
        Copies = Copies.ToArray(),
        BlockStages = _blockStages,
        StageStarts = StageStarts.ToArray(),
        Footprint = Footprint.ToArray(),
        WarpRows = WarpRows.ToArray(),
        SlotIndex = SlotIndex.ToArray(),
        SlotValue = SlotValue.ToArray(),
        Bias = Bias,
        Inputs = Inputs,
        Form = Form,
        NonZeros = NonZeros,
        ComputedNonZeros = ComputedNonZeros,
    };

    /// <summary>Gives the buffers back to the pool (once; later calls do nothing).</summary>
    public void Dispose()
    {
        _disposed = true;
        PooledArrays.Return(ref _outputs);
        PooledArrays.Return(ref _copyStarts);
        PooledArrays.Return(ref _copies);
        PooledArrays.Return(ref _stageStarts);
        PooledArrays.Return(ref _footprint);
        PooledArrays.Return(ref _warpRows);
        PooledArrays.Return(ref _slotIndex);
        PooledArrays.Return(ref _slotValue);
    }
}
