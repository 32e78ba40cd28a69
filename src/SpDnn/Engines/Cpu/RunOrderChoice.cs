namespace SpDnn.Engines.Cpu;

/// <summary>Which <see cref="CpuRunOrder"/> a network runs in, decided once at planning from the network itself.</summary>
internal static class RunOrderChoice
{
    /// <summary>
    /// Widest layer <see cref="CpuRunOrder.Auto"/> runs tile by tile: a dense tile of 8192 neurons
    /// is 512 KB, and a tile's input, output and scatter sums should stay within a core's L2.
    /// </summary>
    public const int MaxTileWidth = 8192;

    /// <summary>Widest layer up to which a worker runs two tiles together, four beyond.</summary>
    public const int MaxPairWidth = 1024;

    /// <summary>
    /// Tiles a worker runs together in the tile order: they share each pass over a layer's weights,
    /// but each holds its own input and output tiles in cache. Two for narrow networks, whose
    /// weights stay in cache anyway; four for wider ones, whose weights stream from memory (on a
    /// 784-4096x4-10 network at 95% zeros, one core: 1.4-1.6 s CPU time per 10000 images with one
    /// tile, 1.1 with two, 0.9-1.07 with four; on the shipped 784-300-100-10 model no difference
    /// beyond the noise of a loaded machine). <paramref name="asked"/> when set.
    /// </summary>
    public static int TilesPerItem(int asked, int maxWidth) => asked switch
    {
        1 or 2 or 4 => asked,
        0 => maxWidth <= MaxPairWidth ? 2 : 4,
        _ => throw new ArgumentOutOfRangeException(nameof(asked), asked, "Tiles per item are 1, 2 or 4 (0: chosen by width)."),
    };

    /// <summary>
    /// Bytes of a work item's input tiles that one input range of the gather may span
    /// (<see cref="ColumnGroups"/>): the rows it reads at random should stay in the core's L2
    /// (1 MB on Zen 5, 1-2 MB on recent Intel cores) beside the output tiles and the weights
    /// streaming through.
    /// </summary>
    public const int BlockBytes = 256 * 1024;

    /// <summary>Most inputs per range of the gather for work items of <paramref name="tilesPerItem"/> tiles; <paramref name="asked"/> when set.</summary>
    public static int MaxBlockInputs(int asked, int tilesPerItem) =>
        asked > 0 ? asked : BlockBytes / (tilesPerItem * CpuLayerPlan.TileWidth * sizeof(float));

    /// <param name="asked">The engine's setting.</param>
    /// <param name="challengeForm">Whether every layer is the challenge's form (its images die and converge: the layer order's pruning pays).</param>
    /// <param name="maxWidth">The widest layer input or output.</param>
    /// <param name="held">Whether every layer plan is held (the tile order reads all layers for every tile).</param>
    /// <param name="weightsFinite">Whether every weight is finite (dense tiles multiply weights by zero inputs).</param>
    /// <returns><see cref="CpuRunOrder.Layers"/> or <see cref="CpuRunOrder.Tiles"/>.</returns>
    public static CpuRunOrder Choose(CpuRunOrder asked, bool challengeForm, int maxWidth, bool held, bool weightsFinite)
    {
        if (asked == CpuRunOrder.Layers || !held || !weightsFinite) return CpuRunOrder.Layers;
        if (asked == CpuRunOrder.Tiles) return CpuRunOrder.Tiles;
        return !challengeForm && maxWidth <= MaxTileWidth ? CpuRunOrder.Tiles : CpuRunOrder.Layers;
    }
}
