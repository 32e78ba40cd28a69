namespace SpDnn.Formats;

/// <summary>
/// The compressed bytes of a gzip file as <see cref="CheckedGzipStream"/> hands them to one
/// member's inflater, buffered so that the bytes last handed out stay at hand: the inflater
/// reads ahead past the end of its member, and the member's trailer (and the next member) is
/// found among them afterwards. Offsets are positions in the file.
/// </summary>
internal sealed class GzipInput(FileStream file, int bufferSize) : Stream
{
    private byte[] _buffer = new byte[Math.Max(bufferSize, 1 << 16)];
    private long _bufferOffset;   // file offset of _buffer[0]
    private int _position;        // next byte to hand out
    private int _end;             // valid bytes in _buffer
    private bool _eof;

    // Where the last two runs of bytes handed to the inflater began: its data ends within them.
    private long _lastServedStart, _previousServedStart;

    /// <summary>The earliest byte where the data the inflater has just finished can have ended: the start of the
    /// next to last run handed to it (a run may end exactly where the data does).</summary>
    public long SearchFrom => Math.Min(_previousServedStart, _lastServedStart);

    /// <summary>File offset just past the last byte handed out.</summary>
    public long Offset => _bufferOffset + _position;

    /// <summary>True once the file has been read to its end.</summary>
    public bool ReachedEndOfFile => _eof;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (destination.IsEmpty) return 0;
        if (_position == _end && !Fill(keepFrom: SearchFrom)) return 0;
        int n = Math.Min(destination.Length, _end - _position);
        _buffer.AsSpan(_position, n).CopyTo(destination);
        _previousServedStart = _lastServedStart;
        _lastServedStart = Offset;
        _position += n;
        return n;
    }

    /// <summary>
    /// The bytes from <paramref name="from"/> to at least <paramref name="count"/> bytes beyond it
    /// (fewer at the end of the file), without handing them out. <paramref name="from"/> must not
    /// lie before the earliest byte kept (the last two runs handed out).
    /// </summary>
    public ReadOnlySpan<byte> Window(long from, int count)
    {
        while (_bufferOffset + _end < from + count && Fill(keepFrom: from)) { }
        int start = checked((int)(from - _bufferOffset));
        return _buffer.AsSpan(start, Math.Max(0, _end - start));
    }

    /// <summary>Continues from <paramref name="offset"/>, which must lie within the bytes kept; a new member starts there.</summary>
    public void Reposition(long offset)
    {
        _position = checked((int)(offset - _bufferOffset));
        _lastServedStart = _previousServedStart = offset;
    }

    /// <summary>One byte of a header, or −1 at the end of the file.</summary>
    public int NextByte()
    {
        if (_position == _end && !Fill(keepFrom: Offset)) return -1;
        return _buffer[_position++];
    }

    /// <summary>Reads more of the file, keeping the bytes from <paramref name="keepFrom"/> on; false at its end.</summary>
    private bool Fill(long keepFrom)
    {
        if (_eof) return false;
        int keep = (int)Math.Clamp(keepFrom - _bufferOffset, 0, _end);
        if (keep > 0)
        {
            _buffer.AsSpan(keep, _end - keep).CopyTo(_buffer);
            _bufferOffset += keep;
            _position -= keep;
            _end -= keep;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = file.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _end += n;
        return true;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Offset; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
