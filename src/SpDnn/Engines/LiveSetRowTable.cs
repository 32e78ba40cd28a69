namespace SpDnn.Engines;

/// <summary>Exact equality of two computed rows, given by their indices (supplied by the engine, which owns the row storage).</summary>
internal interface IRowEquality
{
    bool RowsEqual(int a, int b);
}

/// <summary>
/// Finds bit-identical rows among one layer's output, for <see cref="LiveSet.Remap"/>: rows are
/// looked up by a hash the engine computed while writing them, and a hash match is confirmed
/// by an exact comparison, so collisions never merge different rows. Open addressing with
/// generation stamps: clearing between layers costs nothing, and nothing is allocated after
/// construction.
/// </summary>
internal sealed class LiveSetRowTable
{
    private readonly ulong[] _hashes;
    private readonly int[] _newRow;
    private readonly int[] _stamp;
    private readonly int _mask;
    private int _generation;

    /// <param name="maxRows">The most rows one layer will insert.</param>
    public LiveSetRowTable(int maxRows)
    {
        int capacity = 16;
        while (capacity < 2L * Math.Max(maxRows, 1)) capacity *= 2;
        _hashes = new ulong[capacity];
        _newRow = new int[capacity];
        _stamp = new int[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Starts a new layer: forgets every row inserted before.</summary>
    public void Clear()
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamp);
            _generation = 1;
        }
    }

    /// <summary>
    /// The new index of a row equal to <paramref name="row"/> already seen this layer, or, when
    /// there is none, <paramref name="candidate"/>, which is recorded as the new index of this row.
    /// <paramref name="firstRowOf"/>[newIndex] must give the old row that introduced each new index.
    /// </summary>
    public int FindOrAdd<TEquality>(ulong hash, int row, int candidate, ReadOnlySpan<int> firstRowOf, ref TEquality equality)
        where TEquality : struct, IRowEquality
    {
        int slot = (int)(Mix(hash) & (uint)_mask);
        while (_stamp[slot] == _generation)
        {
            if (_hashes[slot] == hash && equality.RowsEqual(firstRowOf[_newRow[slot]], row)) return _newRow[slot];
            slot = (slot + 1) & _mask;
        }
        _stamp[slot] = _generation;
        _hashes[slot] = hash;
        _newRow[slot] = candidate;
        return candidate;
    }

    private static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        return h;
    }
}
