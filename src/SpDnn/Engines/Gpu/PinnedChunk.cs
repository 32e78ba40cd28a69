using System.Runtime.InteropServices;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A chunk of planned layers in page-locked host memory: what planning packs into and the plan
/// cache reads into before a chunk goes to the device (a copy from page-locked memory runs
/// asynchronously, at the bus's speed), and where the chunks of networks whose weights do not fit
/// the device stay, copied to a device slot while another chunk computes. Its buffers are sized
/// by a capacity and hold one chunk at a time, so one can be reused chunk after chunk.
/// </summary>
internal sealed class PinnedChunk : IDisposable
{
    private readonly PageLockedArray1D<byte>?[] _arrays = new PageLockedArray1D<byte>?[ChunkArrays.Count];

    public PinnedChunk(Accelerator accelerator, ChunkShape capacity)
    {
        Capacity = capacity;
        try
        {
            for (int a = 0; a < ChunkArrays.Count; a++)
            {
                long bytes = capacity.ArrayBytes(a);
                // Spans of the arrays are int-sized; LayerChunk keeps each array of a chunk within that.
                if (bytes > Array.MaxLength) throw new NotSupportedException($"A chunk's {ChunkArrays.Name(a)} take {bytes} bytes, more than one buffer holds: plan fewer layers per chunk (gpu:chunk=).");
                _arrays[a] = accelerator.AllocatePageLocked1D<byte>(Math.Max(1, bytes));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ChunkShape Capacity { get; }

    /// <summary>The lengths of the chunk held.</summary>
    public ChunkShape Shape { get; private set; } = ChunkShape.Empty;

    /// <summary>Index in the network of the first layer held.</summary>
    public int FirstLayer { get; private set; }

    /// <summary>Layers held.</summary>
    public int Count { get; private set; }

    /// <summary>Most blocks of any layer layout held (launch sizes).</summary>
    public int MaxBlocks { get; private set; }

    /// <summary>Takes a chunk of <paramref name="shape"/>; its arrays are then written through <see cref="Bytes"/>.</summary>
    public void Hold(int firstLayer, int count, int maxBlocks, ChunkShape shape)
    {
        if (!Capacity.Holds(shape)) throw new InvalidOperationException("A chunk is larger than the page-locked buffer it was given.");
        FirstLayer = firstLayer;
        Count = count;
        MaxBlocks = maxBlocks;
        Shape = shape;
    }

    /// <summary>The bytes of array <paramref name="array"/> of the chunk held.</summary>
    public Span<byte> Bytes(int array) => _arrays[array]!.Span[..(int)Shape.ArrayBytes(array)];

    /// <summary>Array <paramref name="array"/> of the chunk held, as elements.</summary>
    public Span<T> Elements<T>(int array) where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes(array));

    /// <summary>The page-locked buffer of <paramref name="array"/>, for copies to the device.</summary>
    public ArrayView1D<byte, ILGPU.Stride1D.Dense> View(int array) => _arrays[array]!.ArrayView.SubView(0, Shape.ArrayBytes(array));

    /// <summary>Copies the chunk <paramref name="source"/> holds into this one (arrays in parallel).</summary>
    public void CopyFrom(PinnedChunk source)
    {
        Hold(source.FirstLayer, source.Count, source.MaxBlocks, source.Shape);
        Parallel.For(0, ChunkArrays.Count, a => source.Bytes(a).CopyTo(Bytes(a)));
    }

    public void Dispose()
    {
        foreach (var array in _arrays) array?.Dispose();
    }
}
