using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// One layer layout as <see cref="LayerChunk"/> packs it: its part of each of the chunk's arrays
/// and what its table row holds. A <see cref="TiledLayer"/> is one; so is a
/// <see cref="PooledTiledLayer"/>, the planner's layout still in its pooled buffers.
/// </summary>
internal interface IChunkLayout
{
    /// <summary>Block threads (the length of its outputs).</summary>
    int Threads { get; }

    int Blocks { get; }

    /// <summary>Inputs whose products with every weight are exact (<see cref="ExactProducts"/>).</summary>
    (float Low, float High) ExactProductBounds { get; }

    /// <summary>The layer's activation and bias mode.</summary>
    LayerForm Form { get; }

    /// <summary>Input neurons of the layer.</summary>
    int Inputs { get; }

    /// <summary>The bytes of its part of chunk array <paramref name="array"/> (<see cref="ChunkArrays"/>; copy starts: empty when it has no copies).</summary>
    ReadOnlySpan<byte> ArrayBytes(int array);
}
