namespace SpDnn.Engines.Gpu;

/// <summary>
/// Consecutive layers in the <see cref="TiledLayer"/> layout, concatenated array by array, with
/// a table of where each layer starts. One kernel launch can run every layer of a chunk, and a
/// chunk is the unit that is uploaded, or streamed when the weights do not fit the device.
/// </summary>
internal sealed class LayerChunk
{
    /// <summary>Entries per layer in <see cref="Table"/>.</summary>
    public const int TableStride = 11;

    // Offsets of one layer's table entry: the start of each of its arrays in the chunk's
    // arrays, then its block count and the bounds of exact products (ExactProducts: the low
    // bound's float bits in the low word, the high bound's in the high word). Slot offsets count
    // slots (not warp rows).
    public const int OutputsBase = 0, BlockStagesBase = 1, StageStartsBase = 2, FootprintBase = 3,
        WarpRowsBase = 4, SlotBase = 5, BiasBase = 6, BlockCount = 7, ProductBounds = 8, CopyStartsBase = 9, CopiesBase = 10;

    public LayerChunk(int firstLayer, IReadOnlyList<TiledLayer> layers)
    {
        FirstLayer = firstLayer;
        Count = layers.Count;
        Table = new long[Count * TableStride];
        Outputs = Concat(layers, l => l.Outputs, OutputsBase);
        // A layer without copies gets zero starts, so the kernel needs no case of its own.
        CopyStarts = Concat(layers, l => l.CopyStarts.Length > 0 ? l.CopyStarts : new int[l.Outputs.Length + 1], CopyStartsBase);
        Copies = Concat(layers, l => l.Copies, CopiesBase);
        BlockStages = Concat(layers, l => l.BlockStages, BlockStagesBase);
        StageStarts = Concat(layers, l => l.StageStarts, StageStartsBase);
        Footprint = Concat(layers, l => l.Footprint, FootprintBase);
        WarpRows = Concat(layers, l => l.WarpRows, WarpRowsBase);
        SlotIndex = Concat(layers, l => l.SlotIndex, SlotBase);
        SlotValue = Concat(layers, l => l.SlotValue, -1);
        Bias = Concat(layers, l => l.Bias, BiasBase);
        for (int i = 0; i < Count; i++)
        {
            Table[i * TableStride + BlockCount] = layers[i].Blocks;
            var (low, high) = layers[i].ExactProductBounds;
            Table[i * TableStride + ProductBounds] = (uint)BitConverter.SingleToInt32Bits(low) | (long)BitConverter.SingleToInt32Bits(high) << 32;
            MaxBlocks = Math.Max(MaxBlocks, layers[i].Blocks);
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

    /// <summary>Concatenates one array of every layer; records each layer's start under <paramref name="tableEntry"/> (-1: none).</summary>
    private T[] Concat<T>(IReadOnlyList<TiledLayer> layers, Func<TiledLayer, T[]> array, int tableEntry)
    {
        long total = 0;
        foreach (var layer in layers) total += array(layer).Length;
        if (total > Array.MaxLength) throw new NotSupportedException($"A chunk of {layers.Count} layers is too large to pack ({total} entries).");
        var result = new T[total];
        long at = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var part = array(layers[i]);
            if (tableEntry >= 0) Table[i * TableStride + tableEntry] = at;
            part.CopyTo(result, at);
            at += part.Length;
        }
        return result;
    }
}
