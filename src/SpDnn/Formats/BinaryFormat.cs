using System.Buffers.Binary;
using System.IO.Hashing;

namespace SpDnn.Formats;

/// <summary>What a binary file holds.</summary>
public enum BinaryKind
{
    Network = 1,
    Images = 2,
}

/// <summary>
/// Constants and the fixed-size records of the SpDnn binary format (docs/binary-format.md):
/// a 64-byte header, 64-byte-aligned sections (one CSR matrix each, plus a bias vector for a
/// network layer) and an index of one 48-byte record per section, all little-endian, every
/// part protected by an XxHash64 checksum.
/// </summary>
public static class BinaryFormat
{
    public static ReadOnlySpan<byte> Magic => "SPDNNBIN"u8;
    public const uint Version = 1;
    public const int HeaderSize = 64;
    public const int IndexEntrySize = 48;
    public const int Alignment = 64;

    /// <summary>Section flag: a bias vector of N floats follows the values.</summary>
    public const int FlagBias = 1;

    public static long Align(long offset) => (offset + Alignment - 1) & ~(long)(Alignment - 1);

    public static ulong Checksum(ReadOnlySpan<byte> data) => XxHash64.HashToUInt64(data);

    /// <summary>Byte offsets, relative to the section start, of its arrays.</summary>
    public static (long Columns, long Values, long Bias, long End) SectionLayout(int rows, long nonZeros, int biasLength)
    {
        long columns = Align(4L * (rows + 1));
        long values = Align(columns + 4 * nonZeros);
        long bias = Align(values + 4 * nonZeros);
        long end = biasLength > 0 ? Align(bias + 4L * biasLength) : bias;
        return (columns, values, bias, end);
    }
}

/// <summary>The 64-byte file header.</summary>
public readonly record struct BinaryHeader(BinaryKind Kind, int Rows, int Columns, int Sections, int FirstImageNumber, long IndexOffset, long FileLength)
{
    public void WriteTo(Span<byte> b)
    {
        b[..BinaryFormat.HeaderSize].Clear();
        BinaryFormat.Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], BinaryFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)Kind);
        BinaryPrimitives.WriteInt32LittleEndian(b[16..], Rows);
        BinaryPrimitives.WriteInt32LittleEndian(b[20..], Columns);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], Sections);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], FirstImageNumber);
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], IndexOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[40..], FileLength);
        BinaryPrimitives.WriteUInt64LittleEndian(b[56..], BinaryFormat.Checksum(b[..56]));
    }

    public static BinaryHeader ReadFrom(ReadOnlySpan<byte> b, string file)
    {
        if (b.Length < BinaryFormat.HeaderSize)
            throw new SpDnnDataException(file, $"truncated binary file: {b.Length} bytes, shorter than the {BinaryFormat.HeaderSize}-byte header", byteOffset: b.Length);
        if (!b.StartsWith(BinaryFormat.Magic)) throw new SpDnnDataException(file, "not an SpDnn binary file (bad magic)", byteOffset: 0);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        if (version != BinaryFormat.Version)
            throw new SpDnnDataException(file, $"binary format version {version} is not supported (this build reads {BinaryFormat.Version})", byteOffset: 8);
        if (BinaryPrimitives.ReadUInt64LittleEndian(b[56..]) != BinaryFormat.Checksum(b[..56]))
            throw new SpDnnDataException(file, "corrupt header (checksum mismatch)", byteOffset: 0);
        var header = new BinaryHeader(
            (BinaryKind)BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[20..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[28..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[40..]));
        if (header.Kind is not (BinaryKind.Network or BinaryKind.Images) || header.Rows < 0 || header.Columns < 1 || header.Sections < 1)
            throw new SpDnnDataException(file, "corrupt header (impossible sizes)", byteOffset: 12);
        // Images are numbered first..first+rows-1 and categories report those numbers: all must be valid image numbers.
        if (header.Kind == BinaryKind.Images && (header.FirstImageNumber < 1 || header.FirstImageNumber - 1L + header.Rows > int.MaxValue))
            throw new SpDnnDataException(file,
                $"corrupt header (images numbered from {header.FirstImageNumber}: {header.Rows} images would pass {int.MaxValue}, the largest image number)", byteOffset: 28);
        return header;
    }
}

/// <summary>One 48-byte index record: where a section lies and what it holds.</summary>
public readonly record struct BinarySection(long Offset, long Length, long NonZeros, int Rows, int Flags, ulong Checksum)
{
    public void WriteTo(Span<byte> b)
    {
        b[..BinaryFormat.IndexEntrySize].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(b, Offset);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], Length);
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], NonZeros);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], Rows);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], Checksum);
    }

    public static BinarySection ReadFrom(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadInt64LittleEndian(b),
        BinaryPrimitives.ReadInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadInt64LittleEndian(b[16..]),
        BinaryPrimitives.ReadInt32LittleEndian(b[24..]),
        BinaryPrimitives.ReadInt32LittleEndian(b[28..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[32..]));
}
