using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace SpDnn.Formats;

/// <summary>
/// Decompresses a gzip file member by member and checks every member's trailer: the CRC-32
/// and length of what it decompressed to. <see cref="GZipStream"/> checks neither end: a file
/// cut short, even mid-member, just ends. Files of several members (bgzip, concatenated gzip,
/// pigz --independent) are read whole, and anything but gzip members after the data is an error.
/// <para>
/// A member's deflate data does not say how long it is, and the inflater reads ahead past its
/// end; its trailer is found in the last bytes handed to the inflater, at the position where
/// the eight bytes equal the CRC and length just computed and the file ends or the next member
/// begins.
/// </para>
/// </summary>
internal sealed class CheckedGzipStream : Stream
{
    private const int MaxHeaderField = 1 << 16;

    private readonly FileStream _file;
    private readonly GzipInput _input;
    private readonly string _name;
    private readonly Crc32 _crc = new();
    private DeflateStream? _member;
    private long _memberStart;
    private long _memberProduced;
    private int _members;
    private long _produced;
    private bool _done;

    public CheckedGzipStream(string path, int bufferSize = 1 << 20)
    {
        _name = path;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        try
        {
            if (_file.Length < 18)
                throw new SpDnnDataException(path, "truncated gzip data (shorter than a gzip header and trailer)", byteOffset: _file.Length);
            _input = new GzipInput(_file, bufferSize);
            StartMember();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Decompressed bytes delivered so far.</summary>
    public long Produced => _produced;

    /// <summary>Members read so far (the one being read included).</summary>
    public int Members => _members;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (!_done)
        {
            int n;
            try
            {
                n = _member!.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new SpDnnDataException(_name, $"corrupt gzip data in member {_members}: {e.Message}", byteOffset: _input.Offset, inner: e);
            }
            if (n > 0)
            {
                _crc.Append(buffer[..n]);
                _memberProduced += n;
                _produced += n;
                return n;
            }
            FinishMember();
            if (AtEndOfFile()) _done = true;
            else StartMember();
        }
        return 0;
    }

    private bool AtEndOfFile() => _input.Window(_input.Offset, 1).IsEmpty;

    /// <summary>Reads the header of the member starting at the current offset and opens its inflater.</summary>
    private void StartMember()
    {
        _members++;
        _memberStart = _input.Offset;
        int Next()
        {
            int b = _input.NextByte();
            return b >= 0 ? b : throw new SpDnnDataException(_name, $"truncated gzip data: the file ends inside the header of member {_members}", byteOffset: _input.Offset);
        }
        if (Next() != 0x1f || Next() != 0x8b)
            throw new SpDnnDataException(_name, _members == 1 ? "not gzip data (bad magic)" : $"unexpected bytes after gzip member {_members - 1} (not a gzip member)", byteOffset: _memberStart);
        if (Next() != 8) throw new SpDnnDataException(_name, $"gzip member {_members} uses an unknown compression method", byteOffset: _memberStart + 2);
        int flags = Next();
        if ((flags & 0xE0) != 0) throw new SpDnnDataException(_name, $"gzip member {_members} has reserved header flags set", byteOffset: _memberStart + 3);
        for (int i = 0; i < 6; i++) Next(); // modification time, extra flags, operating system
        if ((flags & 4) != 0)
        {
            int extra = Next() | Next() << 8; // FEXTRA: bgzip keeps its block size here
            for (int i = 0; i < extra; i++) Next();
        }
        foreach (int field in new[] { 8, 16 }) // FNAME, FCOMMENT: zero-terminated
        {
            if ((flags & field) == 0) continue;
            int length = 0;
            while (Next() != 0)
                if (++length > MaxHeaderField)
                    throw new SpDnnDataException(_name, $"corrupt gzip header in member {_members} (a name or comment longer than {MaxHeaderField} bytes)", byteOffset: _memberStart);
        }
        if ((flags & 2) != 0) { Next(); Next(); } // FHCRC
        _input.Reposition(_input.Offset);
        _crc.Reset();
        _memberProduced = 0;
        _member?.Dispose();
        _member = new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <summary>Finds the member's trailer after its deflate data and checks it; continues after it.</summary>
    private void FinishMember()
    {
        Span<byte> expected = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(expected[4..], (uint)_memberProduced);
        // The deflate data ended inside the last two runs handed to the inflater (or right after them).
        long from = _input.SearchFrom, to = _input.Offset;
        var window = _input.Window(from, checked((int)(to - from)) + 10);
        // Prefer a match followed by the end of the file or the next member; else the first match (then
        // whatever follows it is reported as not being a gzip member).
        int found = -1;
        for (int p = 0; p <= to - from && p + 8 <= window.Length; p++)
        {
            if (!window.Slice(p, 8).SequenceEqual(expected)) continue;
            var after = window[(p + 8)..];
            if (after.IsEmpty || (after.Length >= 2 && after[0] == 0x1f && after[1] == 0x8b))
            {
                found = p;
                break;
            }
            if (found < 0) found = p;
        }
        if (found >= 0)
        {
            _input.Reposition(from + found + 8);
            return;
        }
        if (_input.Window(to, 1).IsEmpty)
            throw new SpDnnDataException(_name,
                $"truncated gzip data: member {_members} ends after {_memberProduced} bytes without its trailer (CRC-32 and size)", byteOffset: to);
        throw new SpDnnDataException(_name,
            $"corrupt gzip data: member {_members} (from byte {_memberStart}) does not end with the CRC-32 and size of its {_memberProduced} bytes",
            byteOffset: to);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _produced; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _member?.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
