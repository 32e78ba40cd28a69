namespace SpDnn.Engines.Gpu;

/// <summary>
/// Consecutive layers in the <see cref="TiledLayer"/> layout, concatenated array by array, with
/// a table of where each layer starts. One kernel launch can run every layer of a chunk, and a
/// chunk is the unit that is uploaded, or streamed when the weights do not fit the device.
/// Each layer has <see cref="RowsPerLayer"/> table rows: its full layout, the layout that
/// computes duplicate outputs once (see <see cref="DuplicateOutputs"/>) — the layer program picks
/// one of the two per layer by the work at hand — and the layout of <see cref="ResidentInputKernel"/>
/// (see <see cref="ResidentLayerPlanner"/>) and that of <see cref="ColumnLaneKernel"/> (see
/// <see cref="ColumnLaneLayerPlanner"/>), and the resident-input layout of every output for
/// <see cref="TailProgram"/>. Where neighbouring rows are one layout, its arrays
/// are stored once.
/// </summary>
internal sealed class LayerChunk
{
    /// <summary>Entries per table row.</summary>
    public const int TableStride = 11;

    /// <summary>Table rows per layer, and which is which.</summary>
    public const int RowsPerLayer = 5, FullRow = 0, MergedRow = 1, ResidentRow = 2, ColumnLaneRow = 3, TailRow = 4;

    // Offsets of one row's entries: the start of each of its arrays in the chunk's arrays, then
    // its block count and the bounds of exact products (ExactProducts: the low bound's float
    // bits in the low word, the high bound's in the high word). Slot offsets count slots (not
    // warp rows).
    public const int OutputsBase = 0, BlockStagesBase = 1, StageStartsBase = 2, FootprintBase = 3,
        WarpRowsBase = 4, SlotBase = 5, BiasBase = 6, BlockCount = 7, ProductBounds = 8, CopyStartsBase = 9, CopiesBase = 10;

    /// <param name="firstLayer">Index in the network of the first layer.</param>
    /// <param name="full">Each layer's layout of every output.</param>
    /// <param name="merged">Each layer's layout with duplicate outputs computed once (the same object as its full layout when it has none, or when merging is off).</param>
    /// <param name="resident">Each layer's resident-input layout, or null where it has none (its row then repeats the merged one).</param>
    /// <param name="columnLanes">Each layer's column-lane layout, or null where it has none (its row then repeats the resident one).</param>
    /// <param name="tail">Each layer's resident-input layout without merged duplicates (the tail's: copies are written one after another), or null (its row then repeats the column-lane one).</param>
    public LayerChunk(int firstLayer, IReadOnlyList<TiledLayer> full, IReadOnlyList<TiledLayer> merged, IReadOnlyList<TiledLayer?>? resident = null,
        IReadOnlyList<TiledLayer?>? columnLanes = null, IReadOnlyList<TiledLayer?>? tail = null)
    {
        if (tail is not null && tail.Count != full.Count) throw new ArgumentException("One tail layout (or null) per layer.", nameof(tail));
        if (merged.Count != full.Count) throw new ArgumentException("One merged layout per layer.", nameof(merged));
        if (resident is not null && resident.Count != full.Count) throw new ArgumentException("One resident-input layout (or null) per layer.", nameof(resident));
        if (columnLanes is not null && columnLanes.Count != full.Count) throw new ArgumentException("One column-lane layout (or null) per layer.", nameof(columnLanes));
        FirstLayer = firstLayer;
        Count = full.Count;
        var rows = new TiledLayer[RowsPerLayer * Count];
        for (int i = 0; i < Count; i++)
        {
            rows[RowsPerLayer * i + FullRow] = full[i];
            rows[RowsPerLayer * i + MergedRow] = merged[i];
            rows[RowsPerLayer * i + ResidentRow] = resident?[i] ?? merged[i];
            rows[RowsPerLayer * i + ColumnLaneRow] = columnLanes?[i] ?? rows[RowsPerLayer * i + ResidentRow];
            rows[RowsPerLayer * i + TailRow] = tail?[i] ?? rows[RowsPerLayer * i + ColumnLaneRow];
        }
        Table = new long[rows.Length * TableStride];
        Outputs = Concat(rows, l => l.Outputs, OutputsBase);
        // A layout without copies gets zero starts, so the kernel needs no case of its own.
        CopyStarts = Concat(rows, l => l.CopyStarts.Length > 0 ? l.CopyStarts : new int[l.Outputs.Length + 1], CopyStartsBase);
        Copies = Concat(rows, l => l.Copies, CopiesBase);
        BlockStages = Concat(rows, l => l.BlockStages, BlockStagesBase);
        StageStarts = Concat(rows, l => l.StageStarts, StageStartsBase);
        Footprint = Concat(rows, l => l.Footprint, FootprintBase);
        WarpRows = Concat(rows, l => l.WarpRows, WarpRowsBase);
        SlotIndex = Concat(rows, l => l.SlotIndex, SlotBase);
        SlotValue = Concat(rows, l => l.SlotValue, -1);
        Bias = Concat(rows, l => l.Bias, BiasBase);
        for (int r = 0; r < rows.Length; r++)
        {
            Table[r * TableStride + BlockCount] = rows[r].Blocks;
            var (low, high) = rows[r].ExactProductBounds;
            Table[r * TableStride + ProductBounds] = (uint)BitConverter.SingleToInt32Bits(low) | (long)BitConverter.SingleToInt32Bits(high) << 32;
            if (r % RowsPerLayer is FullRow or MergedRow) MaxBlocks = Math.Max(MaxBlocks, rows[r].Blocks);
        }
    }

    /// <summary>Index in the network of the chunk's first layer.</summary>
    public int FirstLayer { get; }
    public int Count { get; }
    public int MaxBlocks { get; }

    public long[] Table { get; }
    public int[] Outputs { get; }
    public int[] CopyStarts { get; }
    public int[] Copies { get; }
    public int[] BlockStages { get; }
    public int[] StageStarts { get; }
    public int[] Footprint { get; }
    public int[] WarpRows { get; }
    public ushort[] SlotIndex { get; }
    public float[] SlotValue { get; }
    public float[] Bias { get; }

    public long Bytes =>
        8L * Table.Length + 4L * (Outputs.Length + CopyStarts.Length + Copies.Length + BlockStages.Length + StageStarts.Length + Footprint.Length + WarpRows.Length + Bias.Length)
        + (long)SlotIndex.Length * sizeof(ushort) + (long)SlotValue.Length * sizeof(float);

    /// <summary>
    /// Concatenates one array of every row's layout, a layout that is also the row before's only
    /// once; records each row's start under <paramref name="tableEntry"/> (-1: none).
    /// </summary>
    private T[] Concat<T>(TiledLayer[] rows, Func<TiledLayer, T[]> array, int tableEntry)
    {
        long total = 0;
        for (int r = 0; r < rows.Length; r++)
            if (r == 0 || !ReferenceEquals(rows[r], rows[r - 1])) total += array(rows[r]).Length;
        if (total > Array.MaxLength) throw new NotSupportedException($"A chunk of {rows.Length / RowsPerLayer} layers is too large to pack ({total} entries).");
        var result = new T[total];
        long at = 0, previous = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            if (r > 0 && ReferenceEquals(rows[r], rows[r - 1]))
            {
                if (tableEntry >= 0) Table[r * TableStride + tableEntry] = previous;
                continue;
            }
            var part = array(rows[r]);
            if (tableEntry >= 0) Table[r * TableStride + tableEntry] = at;
            previous = at;
            part.CopyTo(result, at);
            at += part.Length;
        }
        return result;
    }
}
