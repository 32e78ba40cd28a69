using System.Buffers.Binary;
using System.IO.Hashing;
using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>What a binary file holds.</summary>
internal enum BinaryKind
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
internal static class BinaryFormat
{
    public static ReadOnlySpan<byte> Magic => "SPDNNBIN"u8;

    /// <summary>Square challenge-form networks and image sets: every layer N x N, ReLU capped at 32, bias on nonzero sums.</summary>
    public const uint Version = 1;

    /// <summary>General networks: per layer its outputs and form, per network its read-out (docs/binary-format.md).</summary>
    public const uint GeneralVersion = 2;
    public const int HeaderSize = 64;
    public const int IndexEntrySize = 48;
    public const int Alignment = 64;

    /// <summary>Section flag: a bias vector of N floats (version 2: one per output) follows the values.</summary>
    public const int FlagBias = 1;

    /// <summary>Version 2 section flags, bits 1-2: the activation (0 ReLU capped at the record's cap, 1 ReLU, 2 identity).</summary>
    public const int ActivationShift = 1;
    public const int ActivationMask = 3 << ActivationShift;

    /// <summary>Version 2 section flag: the bias is added to every output, not only to nonzero sums.</summary>
    public const int FlagBiasAlways = 1 << 3;

    /// <summary>Every flag bit a version 2 reader knows.</summary>
    public const int KnownFlags = FlagBias | ActivationMask | FlagBiasAlways;

    /// <summary>A layer's form as version 2 section flags (the bias bit apart) and cap.</summary>
    public static (int Flags, float Cap) Encode(LayerForm form)
    {
        int activation = form.Activation switch
        {
            Activation.CappedRelu => 0,
            Activation.Relu => 1,
            _ => 2,
        };
        int flags = activation << ActivationShift | (form.Bias == BiasMode.Always ? FlagBiasAlways : 0);
        return (flags, form.Activation == Activation.CappedRelu ? form.Cap : 0f);
    }

    /// <summary>The layer form stored in version 2 section flags and cap; null when they hold no valid form.</summary>
    public static LayerForm? Decode(int flags, float cap)
    {
        if ((flags & ~KnownFlags) != 0) return null;
        var bias = (flags & FlagBiasAlways) != 0 ? BiasMode.Always : BiasMode.OnNonzeroSum;
        return ((flags & ActivationMask) >> ActivationShift) switch
        {
            0 when cap > 0 && float.IsFinite(cap) => LayerForm.CappedRelu(cap, bias),
            1 => LayerForm.Relu(bias),
            2 => LayerForm.Identity(bias),
            _ => null,
        };
    }

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

/// <summary>The 64-byte file header. Version 2 (general networks): Rows is the first layer's inputs, Columns the widest layer, and <see cref="ReadOut"/> is stored at byte 48.</summary>
internal readonly record struct BinaryHeader(BinaryKind Kind, int Rows, int Columns, int Sections, int FirstImageNumber, long IndexOffset, long FileLength)
{
    public uint Version { get; init; } = BinaryFormat.Version;

    public ReadOut ReadOut { get; init; } = ReadOut.NonzeroRows;

    public void WriteTo(Span<byte> b)
    {
        b[..BinaryFormat.HeaderSize].Clear();
        BinaryFormat.Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Version);
        if (Version >= BinaryFormat.GeneralVersion) BinaryPrimitives.WriteUInt32LittleEndian(b[48..], (uint)ReadOut);
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
        if (version is not (BinaryFormat.Version or BinaryFormat.GeneralVersion))
            throw new SpDnnDataException(file, $"binary format version {version} is not supported (this build reads {BinaryFormat.Version} and {BinaryFormat.GeneralVersion})", byteOffset: 8);
        if (BinaryPrimitives.ReadUInt64LittleEndian(b[56..]) != BinaryFormat.Checksum(b[..56]))
            throw new SpDnnDataException(file, "corrupt header (checksum mismatch)", byteOffset: 0);
        var header = new BinaryHeader(
            (BinaryKind)BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[20..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[28..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[40..]))
        { Version = version };
        if (version >= BinaryFormat.GeneralVersion)
        {
            uint readOut = BinaryPrimitives.ReadUInt32LittleEndian(b[48..]);
            if (readOut > (uint)ReadOut.Class) throw new SpDnnDataException(file, $"corrupt header (unknown read-out {readOut})", byteOffset: 48);
            header = header with { ReadOut = (ReadOut)readOut };
        }
        if (header.Kind is not (BinaryKind.Network or BinaryKind.Images) || header.Rows < 0 || header.Columns < 1 || header.Sections < 1)
            throw new SpDnnDataException(file, "corrupt header (impossible sizes)", byteOffset: 12);
        // Images are numbered first..first+rows-1 and categories report those numbers: all must be valid image numbers.
        if (header.Kind == BinaryKind.Images && (header.FirstImageNumber < 1 || header.FirstImageNumber - 1L + header.Rows > int.MaxValue))
            throw new SpDnnDataException(file,
                $"corrupt header (images numbered from {header.FirstImageNumber}: {header.Rows} images would pass {int.MaxValue}, the largest image number)", byteOffset: 28);
        return header;
    }
}

/// <summary>One 48-byte index record: where a section lies and what it holds. Version 2 adds the matrix's columns (byte 40) and the ReLU cap (byte 44).</summary>
internal readonly record struct BinarySection(long Offset, long Length, long NonZeros, int Rows, int Flags, ulong Checksum)
{
    /// <summary>Columns of the section's matrix (version 2); 0 in version 1, where every matrix has the header's columns.</summary>
    public int Columns { get; init; }

    /// <summary>The cap of a capped ReLU layer (version 2).</summary>
    public float Cap { get; init; }

    public void WriteTo(Span<byte> b)
    {
        b[..BinaryFormat.IndexEntrySize].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(b, Offset);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], Length);
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], NonZeros);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], Rows);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], Checksum);
        BinaryPrimitives.WriteInt32LittleEndian(b[40..], Columns);
        BinaryPrimitives.WriteSingleLittleEndian(b[44..], Cap);
    }

    public static BinarySection ReadFrom(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadInt64LittleEndian(b),
        BinaryPrimitives.ReadInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadInt64LittleEndian(b[16..]),
        BinaryPrimitives.ReadInt32LittleEndian(b[24..]),
        BinaryPrimitives.ReadInt32LittleEndian(b[28..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[32..]))
    {
        Columns = BinaryPrimitives.ReadInt32LittleEndian(b[40..]),
        Cap = BinaryPrimitives.ReadSingleLittleEndian(b[44..]),
    };
}
