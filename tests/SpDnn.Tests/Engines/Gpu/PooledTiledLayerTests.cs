using ILGPU;
using ILGPU.Runtime.CPU;
using SpDnn.Engines.Gpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>
/// The planner's layouts in pooled buffers (<see cref="PooledTiledLayer"/>, what the GPU plan packs)
/// pack into a chunk byte for byte as the same layouts in arrays of their own do, with and without
/// merged duplicate outputs, and give their buffers back once.
/// </summary>
public sealed class PooledTiledLayerTests
{
    [Fact]
    public void PooledLayoutsPackAsTheirArraysDo()
    {
        var layers = new[]
        {
            new ChallengeNetworkGenerator(1024, 120).GetLayer(66),
            new RandomNetworkGenerator(4, new RandomNetworkOptions { Neurons = 2000, Layers = 1, MeanRowNonZeros = 60, EmptyRowFraction = 0.1 }).GetLayer(0),
        };
        var full = new List<PooledTiledLayer>();
        var merged = new List<PooledTiledLayer>();
        foreach (var layer in layers)
        {
            var (f, m) = TiledLayerPlanner.PlanBothPooled(layer);
            full.Add(f);
            merged.Add(m ?? f);
        }
        Assert.NotSame(full[0], merged[0]); // the challenge layer has duplicate outputs
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);

        // Rows that are one layout must stay one object, so that their arrays are stored once.
        var expected = new LayerChunk(0, Arrays(full, merged, out var mergedArrays), mergedArrays);
        using var pooled = new LayerChunk(0, full, merged);
        Assert.Equal(expected.Table, pooled.Table);
        using var want = new PinnedChunk(accelerator, expected.Shape);
        using var got = new PinnedChunk(accelerator, pooled.Shape);
        expected.PackInto(want, new ParallelOptions());
        pooled.PackInto(got, new ParallelOptions());
        for (int a = 0; a < ChunkArrays.Count; a++) Assert.Equal(want.Bytes(a).ToArray(), got.Bytes(a).ToArray());
    }

    /// <summary>The layouts in arrays of their own, a merged layout the same object as its full one where the pooled ones are.</summary>
    private static TiledLayer[] Arrays(List<PooledTiledLayer> full, List<PooledTiledLayer> merged, out TiledLayer[] mergedArrays)
    {
        var fullArrays = full.Select(l => l.ToTiledLayer()).ToArray();
        mergedArrays = merged.Select((l, i) => ReferenceEquals(l, full[i]) ? fullArrays[i] : l.ToTiledLayer()).ToArray();
        return fullArrays;
    }

    [Fact]
    public void DisposingGivesTheBuffersBackOnce()
    {
        var layout = TiledLayerPlanner.PlanPooled(new ChallengeNetworkGenerator(1024, 120).GetLayer(30), mergeDuplicates: false);
        var copy = layout.ToTiledLayer();
        Assert.Equal(copy.Footprint.Length, layout.FootprintLength);
        Assert.Equal(copy.WarpRowCount, layout.WarpRowCount);
        Assert.Equal(new int[copy.Outputs.Length + 1], copy.CopyStarts); // no copies: every start 0
        layout.Dispose();
        layout.Dispose();
        Assert.Throws<ObjectDisposedException>(() => layout.ArrayBytes(ChunkArrays.SlotValue).Length);
        Assert.Throws<ObjectDisposedException>(layout.ToTiledLayer);
    }
}
