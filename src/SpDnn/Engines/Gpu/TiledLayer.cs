using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// One layer in the GPU's warp-sliced ELL layout. Output neurons are cut into blocks of
/// <see cref="TiledLayout.BlockRows"/>; a block's input footprint (the sorted distinct input
/// neurons its outputs read) is cut into stages of at most <see cref="TiledLayout.StageEntries"/>
/// entries, which the kernel copies to shared memory. For every (stage, warp) the 32 lanes'
/// nonzeros of that stage are padded to the longest lane and stored lane-interleaved (slot
/// = row * 32 + lane), so each warp load is coalesced; indices are 16-bit offsets into the stage.
/// Within a lane, entries follow the order the reference sums them in (ascending input neuron;
/// with distinct rows, <see cref="DistinctRowsLayer"/>, the rows those inputs are stored in).
/// Blocks hold either consecutive outputs (the seed's layout) or outputs clustered by their
/// input lists, so that outputs reading the same inputs share one block's footprint.
/// </summary>
internal sealed class TiledLayer : IChunkLayout
{
    public required int Neurons { get; init; }

    /// <summary>Output neuron of each block thread (Blocks x BlockRows entries; -1: idle thread).</summary>
    public required int[] Outputs { get; init; }

    /// <summary>
    /// Thread t also writes its activations to outputs Copies[CopyStarts[t] .. CopyStarts[t+1]-1]
    /// (outputs equal to its own by construction, <see cref="DuplicateOutputs"/>); empty: no
    /// copies anywhere.
    /// </summary>
    public int[] CopyStarts { get; init; } = [];

    /// <summary>See <see cref="CopyStarts"/>.</summary>
    public int[] Copies { get; init; } = [];

    /// <summary>BlockStages[b] .. BlockStages[b+1]-1 are block b's stages (Blocks + 1 entries).</summary>
    public required int[] BlockStages { get; init; }

    /// <summary>Stage s reads Footprint[StageStarts[s] .. StageStarts[s+1]-1] (Stages + 1 entries).</summary>
    public required int[] StageStarts { get; init; }

    /// <summary>Input neurons staged, per block stage ascending, concatenated over stages and blocks.</summary>
    public required int[] Footprint { get; init; }

    /// <summary>Warp (stage s, warp w) owns warp rows WarpRows[s*W+w] .. WarpRows[s*W+w+1]-1.</summary>
    public required int[] WarpRows { get; init; }

    /// <summary>Stage-local input offset of each slot (padding: 0).</summary>
    public required ushort[] SlotIndex { get; init; }

    /// <summary>Weight of each slot (padding: 0).</summary>
    public required float[] SlotValue { get; init; }

    public required float[] Bias { get; init; }

    /// <summary>Input neurons of the layer (rows of W; the network's neurons in the challenge).</summary>
    public int Inputs { get; init; }

    /// <summary>The layer's activation and bias mode.</summary>
    public LayerForm Form { get; init; } = LayerForm.Challenge;

    /// <summary>True nonzero weights of the layer.</summary>
    public required long NonZeros { get; init; }

    /// <summary>Nonzeros of the outputs the kernel computes (fewer than <see cref="NonZeros"/> when copies are merged).</summary>
    public long ComputedNonZeros { get; init; }

    /// <summary>Inputs whose products with every weight are exact (<see cref="ExactProducts"/>); computed once.</summary>
    public (float Low, float High) ExactProductBounds => _exactProductBounds ??= ExactProducts.Bounds(SlotValue);

    private (float Low, float High)? _exactProductBounds;

    public int Blocks => BlockStages.Length - 1;
    public int Threads => Outputs.Length;
    public int Stages => StageStarts.Length - 1;

    /// <summary>Warp-wide rows of slots ("warpnz" in the seed's reports).</summary>
    public long WarpRowCount => WarpRows[^1];

    public long PaddedSlots => WarpRowCount * TiledLayout.WarpSize;

    public ReadOnlySpan<byte> ArrayBytes(int array) => array switch
    {
        ChunkArrays.Outputs => MemoryMarshal.AsBytes(Outputs.AsSpan()),
        ChunkArrays.CopyStarts => MemoryMarshal.AsBytes(CopyStarts.AsSpan()),
        ChunkArrays.Copies => MemoryMarshal.AsBytes(Copies.AsSpan()),
        ChunkArrays.BlockStages => MemoryMarshal.AsBytes(BlockStages.AsSpan()),
        ChunkArrays.StageStarts => MemoryMarshal.AsBytes(StageStarts.AsSpan()),
        ChunkArrays.Footprint => MemoryMarshal.AsBytes(Footprint.AsSpan()),
        ChunkArrays.WarpRows => MemoryMarshal.AsBytes(WarpRows.AsSpan()),
        ChunkArrays.SlotIndex => MemoryMarshal.AsBytes(SlotIndex.AsSpan()),
        ChunkArrays.SlotValue => MemoryMarshal.AsBytes(SlotValue.AsSpan()),
        ChunkArrays.Bias => MemoryMarshal.AsBytes(Bias.AsSpan()),
        _ => throw new ArgumentOutOfRangeException(nameof(array)),
    };

    /// <summary>Bytes this layer occupies on the device.</summary>
    public long DeviceBytes =>
        4L * (Outputs.Length + CopyStarts.Length + Copies.Length + BlockStages.Length + StageStarts.Length + Footprint.Length + WarpRows.Length + Bias.Length)
        + PaddedSlots * (sizeof(ushort) + sizeof(float));
}

/// <summary>Shape constants shared by the planner and the kernels.</summary>
internal static class TiledLayout
{
    public const int WarpSize = 32;
    public const int WarpsPerBlock = 8;
    public const int BlockRows = WarpSize * WarpsPerBlock;
    public const int StageEntries = 512;
}
