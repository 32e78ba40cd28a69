namespace SpDnn.Engines.Gpu;

/// <summary>
/// The arrays a chunk of planned layers is made of, listed once (what each holds: <see cref="LayerChunk"/>):
/// packing, page-locked and device buffers and the plan cache all go through this list, by index.
/// </summary>
internal static class ChunkArrays
{
    public const int Table = 0, Outputs = 1, CopyStarts = 2, Copies = 3, BlockStages = 4, StageStarts = 5, Footprint = 6,
        WarpRows = 7, SlotIndex = 8, SlotValue = 9, Bias = 10;

    /// <summary>How many arrays a chunk has.</summary>
    public const int Count = 11;

    /// <summary>Bytes of one element of each array (long, int..., ushort, float, float).</summary>
    public static ReadOnlySpan<int> ElementBytes => [8, 4, 4, 4, 4, 4, 4, 4, 2, 4, 4];

    /// <summary>Names, for messages.</summary>
    public static string Name(int array) => array switch
    {
        Table => "table",
        Outputs => "outputs",
        CopyStarts => "copy starts",
        Copies => "copies",
        BlockStages => "block stages",
        StageStarts => "stage starts",
        Footprint => "footprint",
        WarpRows => "warp rows",
        SlotIndex => "slot indices",
        SlotValue => "slot values",
        Bias => "bias",
        _ => throw new ArgumentOutOfRangeException(nameof(array)),
    };
}
