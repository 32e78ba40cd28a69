namespace SpDnn.Engines.Cpu;

/// <summary>How the CPU engine walks a network over a batch of images.</summary>
public enum CpuRunOrder
{
    /// <summary>
    /// <see cref="Tiles"/> for general networks (any layer not the challenge's form) whose widest
    /// layer is at most <see cref="RunOrderChoice.MaxTileWidth"/> and whose weights are all finite;
    /// <see cref="Layers"/> otherwise.
    /// </summary>
    Auto,

    /// <summary>
    /// Layer by layer over all live rows, held as sparse rows: dead rows leave and identical rows
    /// merge between layers (what the challenge's networks, whose images die and converge, live on).
    /// </summary>
    Layers,

    /// <summary>
    /// Tile by tile: each tile of 16 images runs through every layer held densely in cache, with
    /// no sparse rows in between (small real models, whose rows neither die nor merge). Needs every
    /// layer plan held and every weight finite; otherwise the engine runs <see cref="Layers"/>.
    /// </summary>
    Tiles,
}
