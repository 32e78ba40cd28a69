namespace SpDnn.Engines.Gpu;

/// <summary>Element counts of a chunk's arrays (<see cref="ChunkArrays"/>): what a buffer must hold.</summary>
internal sealed class ChunkShape
{
    private readonly long[] _lengths;

    public ChunkShape(ReadOnlySpan<long> lengths)
    {
        if (lengths.Length != ChunkArrays.Count) throw new ArgumentException($"A chunk has {ChunkArrays.Count} arrays.", nameof(lengths));
        _lengths = lengths.ToArray();
    }

    /// <summary>No elements.</summary>
    public static ChunkShape Empty { get; } = new(new long[ChunkArrays.Count]);

    /// <summary>Elements of array <paramref name="array"/>.</summary>
    public long this[int array] => _lengths[array];

    /// <summary>Bytes of array <paramref name="array"/>.</summary>
    public long ArrayBytes(int array) => _lengths[array] * ChunkArrays.ElementBytes[array];

    /// <summary>Bytes of all arrays.</summary>
    public long Bytes
    {
        get
        {
            long total = 0;
            for (int a = 0; a < ChunkArrays.Count; a++) total += ArrayBytes(a);
            return total;
        }
    }

    /// <summary>Whether a buffer of this shape holds a chunk of <paramref name="other"/>'s.</summary>
    public bool Holds(ChunkShape other)
    {
        for (int a = 0; a < ChunkArrays.Count; a++)
            if (other._lengths[a] > _lengths[a]) return false;
        return true;
    }

    /// <summary>Array by array, the larger of the two.</summary>
    public static ChunkShape Max(ChunkShape a, ChunkShape b)
    {
        Span<long> lengths = stackalloc long[ChunkArrays.Count];
        for (int i = 0; i < ChunkArrays.Count; i++) lengths[i] = Math.Max(a._lengths[i], b._lengths[i]);
        return new ChunkShape(lengths);
    }

    /// <summary>Every array this much larger (room for later chunks of a little more).</summary>
    public ChunkShape Scaled(double factor)
    {
        Span<long> lengths = stackalloc long[ChunkArrays.Count];
        for (int i = 0; i < ChunkArrays.Count; i++) lengths[i] = (long)Math.Ceiling(_lengths[i] * factor);
        return new ChunkShape(lengths);
    }
}
