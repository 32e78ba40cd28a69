namespace SpDnn.Engines;

/// <summary>
/// Which images of a batch are still alive and which computed row each one reads. Engines keep
/// only the distinct live rows (bit-identical rows give bit-identical outputs, so each is
/// computed once); every live image points at one of them. Dead images (all-zero rows) can
/// never come back, so they leave the set for good. Arrays are allocated once; every update
/// compacts in place, so the layer loop allocates nothing.
/// </summary>
internal sealed class LiveSet
{
    private readonly int[] _images;
    private readonly int[] _rowOf;

    /// <summary>A set holding every row of a batch of <paramref name="imageCount"/> images, each its own row.</summary>
    public LiveSet(int imageCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(imageCount);
        _images = new int[imageCount];
        _rowOf = new int[imageCount];
        for (int i = 0; i < imageCount; i++) _images[i] = _rowOf[i] = i;
        Count = DistinctRows = imageCount;
    }

    /// <summary>Live images (counting duplicates).</summary>
    public int Count { get; private set; }

    /// <summary>Distinct rows the live images read.</summary>
    public int DistinctRows { get; private set; }

    /// <summary>Batch rows (0-based, ascending) of the live images.</summary>
    public ReadOnlySpan<int> Images => _images.AsSpan(0, Count);

    /// <summary>For each live image (same order as <see cref="Images"/>), the distinct row it reads.</summary>
    public ReadOnlySpan<int> RowOf => _rowOf.AsSpan(0, Count);

    /// <summary>
    /// Applies a layer's outcome: <paramref name="remap"/>[r] is the new index of old distinct row
    /// r, or -1 when that row died. Images whose row died leave the set; the order of the
    /// survivors is kept.
    /// </summary>
    public void Remap(ReadOnlySpan<int> remap, int newDistinctRows)
    {
        if (remap.Length != DistinctRows)
            throw new ArgumentException($"remap has {remap.Length} entries for {DistinctRows} distinct rows.", nameof(remap));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(newDistinctRows, DistinctRows);
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            int row = remap[_rowOf[i]];
            if (row < 0) continue;
            _images[kept] = _images[i];
            _rowOf[kept] = row;
            kept++;
        }
        Count = kept;
        DistinctRows = newDistinctRows;
    }
}
