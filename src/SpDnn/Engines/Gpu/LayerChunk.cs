using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Consecutive layers in the <see cref="TiledLayer"/> layout, to be concatenated array by array
/// (<see cref="ChunkArrays"/>), with a table of where each layer starts. One kernel launch can run
/// every layer of a chunk, and a chunk is the unit that is uploaded, or streamed when the weights
/// do not fit the device. Each layer has <see cref="RowsPerLayer"/> table rows: its full layout,
/// the layout that computes duplicate outputs once (see <see cref="DuplicateOutputs"/>) — the
/// layer program picks one of the two per layer by the work at hand — and the layout of
/// <see cref="ResidentInputKernel"/> (see <see cref="ResidentLayerPlanner"/>) and that of
/// <see cref="ColumnLaneKernel"/> (see <see cref="ColumnLaneLayerPlanner"/>), and the
/// resident-input layout of every output for <see cref="TailProgram"/>. Where neighbouring
/// rows are one layout, its arrays are stored once. The table and the arrays' lengths are worked
/// out here; <see cref="PackInto"/> writes the arrays, in parallel, into a page-locked buffer.
/// Disposing gives the buffers of pooled layouts (<see cref="PooledTiledLayer"/>) back once packed.
/// </summary>
internal sealed class LayerChunk : IDisposable
{
    /// <summary>Entries per table row.</summary>
    public const int TableStride = 12;

    /// <summary>Table rows per layer, and which is which.</summary>
    public const int RowsPerLayer = 5, FullRow = 0, MergedRow = 1, ResidentRow = 2, ColumnLaneRow = 3, TailRow = 4;

    // Offsets of one row's entries: the start of each of its arrays in the chunk's arrays, then
    // its block count and the bounds of exact products (ExactProducts: the low bound's float
    // bits in the low word, the high bound's in the high word), and the layer's inputs and form
    // (TableForm; read by GeneralLayers only). Slot offsets count slots (not warp rows).
    public const int OutputsBase = 0, BlockStagesBase = 1, StageStartsBase = 2, FootprintBase = 3,
        WarpRowsBase = 4, SlotBase = 5, BiasBase = 6, BlockCount = 7, ProductBounds = 8, CopyStartsBase = 9, CopiesBase = 10, FormEntry = 11;

    /// <summary>Every layout's slots start at a multiple of this: kernels read them as vectors from a layer's start.</summary>
    public const int SlotAlignment = 8;

    /// <summary>For each array of <see cref="ChunkArrays"/>, the table entry holding a row's start in it (-1: none).</summary>
    private static ReadOnlySpan<int> TableEntry => [-1, OutputsBase, CopyStartsBase, CopiesBase, BlockStagesBase, StageStartsBase, FootprintBase,
        WarpRowsBase, SlotBase, -1, BiasBase];

    private readonly IChunkLayout[] _rows;
    private readonly long[] _starts; // [array * rows + row]: where the row's part of the array starts (repeated rows: the first's)

    /// <param name="firstLayer">Index in the network of the first layer.</param>
    /// <param name="full">Each layer's layout of every output.</param>
    /// <param name="merged">Each layer's layout with duplicate outputs computed once (the same object as its full layout when it has none, or when merging is off).</param>
    /// <param name="resident">Each layer's resident-input layout, or null where it has none (its row then repeats the merged one).</param>
    /// <param name="columnLanes">Each layer's column-lane layout, or null where it has none (its row then repeats the resident one).</param>
    /// <param name="tail">Each layer's resident-input layout without merged duplicates (the tail's: copies are written one after another), or null (its row then repeats the column-lane one).</param>
    public LayerChunk(int firstLayer, IReadOnlyList<IChunkLayout> full, IReadOnlyList<IChunkLayout> merged, IReadOnlyList<IChunkLayout?>? resident = null,
        IReadOnlyList<IChunkLayout?>? columnLanes = null, IReadOnlyList<IChunkLayout?>? tail = null)
    {
        if (tail is not null && tail.Count != full.Count) throw new ArgumentException("One tail layout (or null) per layer.", nameof(tail));
        if (columnLanes is not null && columnLanes.Count != full.Count) throw new ArgumentException("One column-lane layout (or null) per layer.", nameof(columnLanes));
        if (merged.Count != full.Count) throw new ArgumentException("One merged layout per layer.", nameof(merged));
        if (resident is not null && resident.Count != full.Count) throw new ArgumentException("One resident-input layout (or null) per layer.", nameof(resident));
        FirstLayer = firstLayer;
        Count = full.Count;
        _rows = new IChunkLayout[RowsPerLayer * Count];
        for (int i = 0; i < Count; i++)
        {
            _rows[RowsPerLayer * i + FullRow] = full[i];
            _rows[RowsPerLayer * i + MergedRow] = merged[i];
            _rows[RowsPerLayer * i + ResidentRow] = resident?[i] ?? merged[i];
            _rows[RowsPerLayer * i + ColumnLaneRow] = columnLanes?[i] ?? _rows[RowsPerLayer * i + ResidentRow];
            _rows[RowsPerLayer * i + TailRow] = tail?[i] ?? _rows[RowsPerLayer * i + ColumnLaneRow];
        }
        Table = new long[_rows.Length * TableStride];
        _starts = new long[ChunkArrays.Count * _rows.Length];
        Span<long> lengths = stackalloc long[ChunkArrays.Count];
        lengths[ChunkArrays.Table] = Table.Length;
        for (int a = 1; a < ChunkArrays.Count; a++)
        {
            long at = 0;
            for (int r = 0; r < _rows.Length; r++)
            {
                if (r > 0 && ReferenceEquals(_rows[r], _rows[r - 1]))
                {
                    _starts[a * _rows.Length + r] = _starts[a * _rows.Length + r - 1];
                }
                else
                {
                    _starts[a * _rows.Length + r] = at;
                    at += Length(_rows[r], a);
                }
                if (TableEntry[a] >= 0) Table[r * TableStride + TableEntry[a]] = _starts[a * _rows.Length + r];
                // Kernels read slots as vectors of up to eight from a layer's start (ColumnLaneKernel, VectorSlotRows).
                if (a == ChunkArrays.SlotIndex && _starts[a * _rows.Length + r] % SlotAlignment != 0)
                    throw new InvalidOperationException($"Layer {firstLayer + r / RowsPerLayer + 1}'s slots start at {_starts[a * _rows.Length + r]}, not a multiple of {SlotAlignment}.");
            }
            // Offsets into an array are ints on the device, and host spans are int-sized.
            if (at * ChunkArrays.ElementBytes[a] > Array.MaxLength)
                throw new NotSupportedException($"A chunk of {Count} layers is too large to pack ({at} {ChunkArrays.Name(a)}): plan fewer layers per chunk (gpu:chunk=).");
            lengths[a] = at;
        }
        for (int r = 0; r < _rows.Length; r++)
        {
            Table[r * TableStride + BlockCount] = _rows[r].Blocks;
            var (low, high) = _rows[r].ExactProductBounds;
            Table[r * TableStride + ProductBounds] = (uint)BitConverter.SingleToInt32Bits(low) | (long)BitConverter.SingleToInt32Bits(high) << 32;
            Table[r * TableStride + FormEntry] = TableForm.Entry(_rows[r].Form, _rows[r].Inputs);
            if (r % RowsPerLayer is FullRow or MergedRow) MaxBlocks = Math.Max(MaxBlocks, _rows[r].Blocks);
        }
        Shape = new ChunkShape(lengths);
    }

    /// <summary>Index in the network of the chunk's first layer.</summary>
    public int FirstLayer { get; }
    public int Count { get; }
    public int MaxBlocks { get; }

    public long[] Table { get; }

    /// <summary>The lengths of the chunk's arrays.</summary>
    public ChunkShape Shape { get; }

    public long Bytes => Shape.Bytes;

    /// <summary>Writes the chunk's arrays into <paramref name="target"/>, one layout's array per work item.</summary>
    public void PackInto(PinnedChunk target, ParallelOptions parallel)
    {
        target.Hold(FirstLayer, Count, MaxBlocks, Shape);
        MemoryMarshal.AsBytes(Table.AsSpan()).CopyTo(target.Bytes(ChunkArrays.Table));
        int rows = _rows.Length;
        Parallel.For(0, (ChunkArrays.Count - 1) * rows, parallel, item =>
        {
            int a = 1 + item / rows, r = item % rows;
            if (r > 0 && ReferenceEquals(_rows[r], _rows[r - 1])) return;
            int size = ChunkArrays.ElementBytes[a];
            var destination = target.Bytes(a).Slice((int)(_starts[a * rows + r] * size), (int)(Length(_rows[r], a) * size));
            var source = _rows[r].ArrayBytes(a);
            // A layout without copies gets zero starts, so the kernel needs no case of its own.
            if (source.IsEmpty) destination.Clear();
            else source.CopyTo(destination);
        });
    }

    /// <summary>Elements layout <paramref name="l"/> has in array <paramref name="array"/>.</summary>
    private static long Length(IChunkLayout l, int array)
    {
        var bytes = l.ArrayBytes(array);
        return array == ChunkArrays.CopyStarts && bytes.IsEmpty ? l.Threads + 1 : bytes.Length / ChunkArrays.ElementBytes[array];
    }

    /// <summary>Gives back the pooled buffers of the layouts: call once packed.</summary>
    public void Dispose()
    {
        foreach (var row in _rows) (row as IDisposable)?.Dispose();
    }
}
