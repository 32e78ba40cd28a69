using System.IO.Hashing;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>Writes networks and image sets in the SpDnn binary format (docs/binary-format.md), atomically.</summary>
internal static class BinaryFileWriter
{
    /// <summary>
    /// Writes the first <paramref name="layers"/> layers (all by default), one at a time: version 1
    /// for a challenge-form network (readable by every earlier build), version 2 for a general one.
    /// </summary>
    public static void WriteNetwork(ILayerSource source, string path, int? layers = null, IProgress<int>? progress = null)
    {
        int count = layers ?? source.LayerCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, source.LayerCount);
        if (!source.IsChallengeForm)
        {
            WriteGeneralNetwork(source, path, count, progress);
            return;
        }
        int n = source.Neurons;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[BinaryFormat.HeaderSize]);
            var sections = new BinarySection[count];
            for (int k = 0; k < count; k++)
            {
                var layer = source.GetLayer(k);
                if (layer.Weights.Rows != n || layer.Weights.Columns != n || layer.Bias.Length != n)
                    throw new ArgumentException($"Layer {k + 1} of {source.Description} does not have {n} neurons.");
                sections[k] = WriteSection(stream, layer.Weights, layer.Bias);
                progress?.Report(k + 1);
            }
            Finish(stream, new BinaryHeader(BinaryKind.Network, n, n, count, 0, 0, 0), sections);
        });
    }

    private static void WriteGeneralNetwork(ILayerSource source, string path, int count, IProgress<int>? progress)
    {
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[BinaryFormat.HeaderSize]);
            var sections = new BinarySection[count];
            int width = source.Neurons, widest = width;
            for (int k = 0; k < count; k++)
            {
                var layer = source.GetLayer(k);
                if (layer.Inputs != width || layer.Bias.Length != layer.Neurons)
                    throw new ArgumentException($"Layer {k + 1} of {source.Description} is {layer.Inputs} x {layer.Neurons} with {layer.Bias.Length} biases; expected {width} inputs and a bias per output.");
                var (flags, cap) = BinaryFormat.Encode(layer.Form);
                var section = WriteSection(stream, layer.Weights, layer.Bias);
                sections[k] = section with { Flags = section.Flags | flags, Columns = layer.Neurons, Cap = cap };
                width = layer.Neurons;
                widest = Math.Max(widest, width);
                progress?.Report(k + 1);
            }
            Finish(stream, new BinaryHeader(BinaryKind.Network, source.Neurons, widest, count, 0, 0, 0)
            {
                Version = BinaryFormat.GeneralVersion,
                ReadOut = source.ReadOut,
            }, sections);
        });
    }

    public static void WriteImages(ImageBatch images, string path)
    {
        if (images.HasExplicitNumbers)
            throw new ArgumentException("The binary format stores contiguous image sets only; this batch has explicit image numbers.", nameof(images));
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[BinaryFormat.HeaderSize]);
            var section = WriteSection(stream, images.Features, null);
            Finish(stream, new BinaryHeader(BinaryKind.Images, images.Count, images.Neurons, 1, images.FirstImageNumber, 0, 0), [section]);
        });
    }

    private static BinarySection WriteSection(Stream stream, CsrMatrix matrix, float[]? bias)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The binary format is written on little-endian machines only.");
        Pad(stream, null);
        long start = stream.Position;
        var hash = new XxHash64();
        Put(stream, hash, matrix.RowOffsets);
        Pad(stream, hash);
        Put(stream, hash, matrix.ColumnIndices);
        Pad(stream, hash);
        Put(stream, hash, matrix.Values);
        Pad(stream, hash);
        if (bias is not null)
        {
            Put(stream, hash, bias);
            Pad(stream, hash);
        }
        long length = stream.Position - start;
        return new BinarySection(start, length, matrix.NonZeros, matrix.Rows, bias is null ? 0 : BinaryFormat.FlagBias, hash.GetCurrentHashAsUInt64());
    }

    // In chunks: an array of more than 2^29 elements has more bytes than one span can count.
    private static void Put<T>(Stream stream, XxHash64 hash, T[] data) where T : unmanaged
    {
        const int chunk = 1 << 26;
        for (int start = 0; start < data.Length; start += chunk)
        {
            var bytes = MemoryMarshal.AsBytes(data.AsSpan(start, Math.Min(chunk, data.Length - start)));
            stream.Write(bytes);
            hash.Append(bytes);
        }
    }

    private static void Pad(Stream stream, XxHash64? hash)
    {
        long pad = BinaryFormat.Align(stream.Position) - stream.Position;
        if (pad == 0) return;
        Span<byte> zeros = stackalloc byte[BinaryFormat.Alignment];
        zeros = zeros[..(int)pad];
        zeros.Clear();
        stream.Write(zeros);
        hash?.Append(zeros);
    }

    private static void Finish(Stream stream, BinaryHeader header, BinarySection[] sections)
    {
        Pad(stream, null);
        long indexOffset = stream.Position;
        var index = new byte[sections.Length * BinaryFormat.IndexEntrySize + 8];
        for (int i = 0; i < sections.Length; i++) sections[i].WriteTo(index.AsSpan(i * BinaryFormat.IndexEntrySize));
        BitConverter.TryWriteBytes(index.AsSpan(index.Length - 8), BinaryFormat.Checksum(index.AsSpan(0, index.Length - 8)));
        stream.Write(index);
        long fileLength = stream.Position;
        var head = new byte[BinaryFormat.HeaderSize];
        (header with { IndexOffset = indexOffset, FileLength = fileLength }).WriteTo(head);
        stream.Position = 0;
        stream.Write(head);
        stream.Position = fileLength;
    }
}
