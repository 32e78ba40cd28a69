namespace SpDnn.Engines.Gpu;

/// <summary>
/// One layer's layouts as <see cref="ChunkPlanner.PlanLayer"/> makes them, held until the layers
/// of its chunk are all planned and <see cref="ChunkPlanner.Assemble"/> puts them in a
/// <see cref="LayerChunk"/> (which then owns the pooled buffers).
/// </summary>
/// <param name="Full">The tiled layout of every output.</param>
/// <param name="Merged">The layout with duplicate outputs merged (<paramref name="Full"/> itself when there is none, or merging is off).</param>
/// <param name="Resident">The resident-input layout, or null.</param>
/// <param name="ColumnLanes">The column-lane layout, or null.</param>
/// <param name="Tail">The tail's resident-input layout, or null.</param>
/// <param name="Planned">What planning found, for the plan's figures.</param>
internal sealed record LayerLayouts(PooledTiledLayer Full, PooledTiledLayer Merged, TiledLayer? Resident, TiledLayer? ColumnLanes, TiledLayer? Tail, PlannedLayer Planned)
    : IDisposable
{
    /// <summary>Gives the pooled buffers back (for layouts never assembled into a chunk).</summary>
    public void Dispose()
    {
        Full.Dispose();
        Merged.Dispose();
    }
}
