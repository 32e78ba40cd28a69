namespace SpDnn.Engines.Cpu;

/// <summary>
/// Append-only storage of sparse rows ((index, value) pairs), written by one worker per layer
/// and read by all in the next. It keeps its arrays between layers and only grows, so after the
/// first layers the layer loop allocates nothing.
/// </summary>
internal sealed class SparseArena
{
    public SparseArena(int capacity)
    {
        Indices = GC.AllocateUninitializedArray<int>(capacity);
        Values = GC.AllocateUninitializedArray<float>(capacity);
    }

    /// <summary>Wraps existing arrays, read-only (the input images).</summary>
    public SparseArena(int[] indices, float[] values)
    {
        Indices = indices;
        Values = values;
        Count = indices.Length;
    }

    public int[] Indices { get; private set; }
    public float[] Values { get; private set; }

    /// <summary>Entries written this layer.</summary>
    public int Count
    {
        get => _count;
        set
        {
            _count = value;
            if (value > HighWater) HighWater = value;
        }
    }

    private int _count;

    /// <summary>The most entries written in any layer: how much of the arrays has been touched.</summary>
    public int HighWater { get; private set; }

    /// <summary>
    /// Empties the arena for another run, keeping its arrays whatever their size: they were made
    /// or grown for a batch like the next, and grow again when a layer needs more (replacing them
    /// up front would leave the old ones, gigabytes at N = 65536, to the collector).
    /// </summary>
    public void Reuse() => Count = 0;

    /// <summary>Makes room for <paramref name="extra"/> more entries (growing by half, keeping what is written).</summary>
    public void EnsureRoom(int extra)
    {
        long needed = (long)Count + extra;
        if (needed <= Indices.Length) return;
        long size = Math.Max(needed, Indices.Length + Indices.Length / 2L);
        if (size > Array.MaxLength) size = needed <= Array.MaxLength ? Array.MaxLength
            : throw new OutOfMemoryException("A worker's share of the live rows exceeds the largest array .NET allows; use more threads or smaller batches.");
        var indices = GC.AllocateUninitializedArray<int>((int)size);
        var values = GC.AllocateUninitializedArray<float>((int)size);
        Indices.AsSpan(0, Count).CopyTo(indices);
        Values.AsSpan(0, Count).CopyTo(values);
        Indices = indices;
        Values = values;
    }
}

/// <summary>Where a computed row lies: arena, first entry, number of entries (0: the row is dead).</summary>
internal readonly record struct RowRef(int Arena, int Offset, int Length);
