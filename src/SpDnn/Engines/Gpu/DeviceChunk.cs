using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A chunk of layers in device memory: either one chunk uploaded for good (weights resident),
/// or a slot sized for the largest chunk that streamed chunks are copied into in turn. One byte
/// buffer per array of <see cref="ChunkArrays"/>, seen by the kernels as typed views.
/// </summary>
internal sealed class DeviceChunk : IDisposable
{
    private readonly MemoryBuffer1D<byte, Stride1D.Dense>?[] _arrays = new MemoryBuffer1D<byte, Stride1D.Dense>?[ChunkArrays.Count];

    /// <summary>An empty chunk able to hold any chunk no larger than <paramref name="capacity"/>.</summary>
    public DeviceChunk(Accelerator accelerator, ChunkShape capacity)
    {
        try
        {
            // At least one element each, so that every typed view exists.
            for (int a = 0; a < ChunkArrays.Count; a++)
                _arrays[a] = accelerator.Allocate1D<byte>(Math.Max(1, capacity[a]) * ChunkArrays.ElementBytes[a]);
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
        for (int a = 0; a < ChunkArrays.Count; a++)
        {
            long bytes = chunk.Shape.ArrayBytes(a);
            if (bytes > _arrays[a]!.Length) throw new InvalidOperationException("A chunk is larger than its device buffers.");
            if (bytes > 0) _arrays[a]!.View.SubView(0, bytes).CopyFrom(stream, chunk.View(a));
        }
        FirstLayer = chunk.FirstLayer;
    }

    public ProgramArgs Bind(ProgramArgs args)
    {
        args.Table = View<long>(ChunkArrays.Table);
        args.Outputs = View<int>(ChunkArrays.Outputs);
        args.CopyStarts = View<int>(ChunkArrays.CopyStarts);
        args.Copies = View<int>(ChunkArrays.Copies);
        args.BlockStages = View<int>(ChunkArrays.BlockStages);
        args.StageStarts = View<int>(ChunkArrays.StageStarts);
        args.Footprint = View<int>(ChunkArrays.Footprint);
        args.WarpRows = View<int>(ChunkArrays.WarpRows);
        args.SlotIndex = View<ushort>(ChunkArrays.SlotIndex);
        args.SlotValue = View<float>(ChunkArrays.SlotValue);
        args.Bias = View<float>(ChunkArrays.Bias);
        args.ChunkFirstLayer = FirstLayer;
        return args;
    }

    private ArrayView<T> View<T>(int array) where T : unmanaged => _arrays[array]!.View.AsContiguous().Cast<T>();

    /// <summary>Device bytes of the buffers.</summary>
    public long Bytes => _arrays.Sum(a => a?.LengthInBytes ?? 0);

    public void Dispose()
    {
        foreach (var array in _arrays) array?.Dispose();
    }
}
