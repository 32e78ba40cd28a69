using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace SpDnn.Model;

/// <summary>
/// A checksum of a network's content, not of where it came from: caches of planned layouts are
/// keyed by it (two files holding the same network share a plan; a file changed in place does not
/// reuse the old one). Taken from the source when it knows it without reading its layers
/// (<see cref="Known"/>), else computed from every layer, in parallel.
/// </summary>
internal static class NetworkChecksum
{
    public static UInt128 Of(ILayerSource network, ParallelOptions? parallel = null)
    {
        if (Known(network) is { } known) return known;
        var layers = new UInt128[network.LayerCount];
        Parallel.For(0, layers.Length, parallel ?? new ParallelOptions(), k => layers[k] = OfLayer(network.GetLayer(k)));
        var all = new XxHash128();
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(head, network.Neurons);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], network.LayerCount);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], (int)network.ReadOut);
        all.Append(head);
        all.Append(MemoryMarshal.AsBytes(layers.AsSpan()));
        return all.GetCurrentHashAsUInt128();
    }

    /// <summary>
    /// The checksum a source knows from what it already holds (a binary file's index of layer
    /// checksums, a generator's parameters, or what a network read into memory was given); null
    /// when it must be computed from the layers.
    /// </summary>
    public static UInt128? Known(ILayerSource network) => network switch
    {
        InMemoryNetwork m => m.KnownChecksum,
        Formats.BinaryNetworkSource b => b.ContentChecksum,
        Generation.ChallengeNetworkGenerator c => c.ContentChecksum,
        Generation.GeneralNetworkGenerator g => g.ContentChecksum,
        _ => null,
    };

    /// <summary>One layer: its shape, form, weights (offsets, columns, values) and bias.</summary>
    public static UInt128 OfLayer(NetworkLayer layer)
    {
        var hash = new XxHash128();
        var w = layer.Weights;
        Span<byte> head = stackalloc byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(head, w.Rows);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], w.Columns);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], (int)layer.Form.Activation);
        BinaryPrimitives.WriteInt32LittleEndian(head[12..], (int)layer.Form.Bias);
        BinaryPrimitives.WriteSingleLittleEndian(head[16..], layer.Form.Cap);
        BinaryPrimitives.WriteInt32LittleEndian(head[20..], layer.Bias.Length);
        hash.Append(head);
        hash.Append(MemoryMarshal.AsBytes(w.RowOffsets.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(w.ColumnIndices.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(w.Values.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(layer.Bias.AsSpan()));
        return hash.GetCurrentHashAsUInt128();
    }

    /// <summary>A checksum of a description of the content (a generator's parameters), in the same space.</summary>
    public static UInt128 OfText(string text) => XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(text));
}
