namespace SpDnn.Engines.Cpu;

/// <summary>Which <see cref="CpuRunOrder"/> a network runs in, decided once at planning from the network itself.</summary>
internal static class RunOrderChoice
{
    /// <summary>
    /// Widest layer <see cref="CpuRunOrder.Auto"/> runs tile by tile: a dense tile of 8192 neurons
    /// is 512 KB, and a tile's input, output and scatter sums should stay within a core's L2.
    /// </summary>
    public const int MaxTileWidth = 8192;

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
