using System.Buffers;

namespace SpDnn.Formats;

/// <summary>
/// Reads a stream as lines of bytes without decoding or allocating per line: large chunks are
/// read into one buffer and lines are handed out as spans of it (valid until the next call).
/// A final line without a newline counts; a trailing carriage return is removed.
/// </summary>
internal sealed class LineReader
{
    /// <summary>
    /// The longest line accepted. Lines of the formats read here are tens of bytes; a longer run
    /// without a newline is not such a file (or is a decompression bomb of zeros), and stops
    /// here instead of growing the buffer without end.
    /// </summary>
    public const int MaxLineBytes = 1 << 20;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(Stream stream, string fileName, int bufferSize = 1 << 20)
    {
        _stream = stream;
        FileName = fileName;
        _buffer = new byte[bufferSize];
    }

    public string FileName { get; }

    /// <summary>1-based number of the line last returned (0 before the first).</summary>
    public long LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            int newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Trim(pending[..newline]);
                _start += newline + 1;
                LineNumber++;
                return true;
            }
            if (pending.Length > MaxLineBytes) throw LineTooLong();
            if (_eof)
            {
                if (pending.IsEmpty)
                {
                    line = default;
                    return false;
                }
                line = Trim(pending);
                _start = _end;
                LineNumber++;
                return true;
            }
            Fill();
        }
    }

    private void Fill()
    {
        int pending = _end - _start;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _start = 0;
            _end = pending;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2); // a line (or block) longer than the buffer
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    /// <summary>
    /// The next run of whole lines, about <paramref name="targetBytes"/> long (or the rest of the
    /// input), copied into a pooled array the caller returns to <see cref="ArrayPool{T}.Shared"/>.
    /// </summary>
    /// <param name="firstLine">1-based number of the block's first line.</param>
    /// <param name="lines">Lines in the block.</param>
    public bool TryReadBlock(int targetBytes, out byte[] block, out int length, out long firstLine, out int lines)
    {
        while (true)
        {
            while (!_eof && _end - _start < targetBytes) Fill();
            var pending = _buffer.AsSpan(_start, _end - _start);
            if (pending.IsEmpty)
            {
                block = [];
                length = 0;
                lines = 0;
                firstLine = LineNumber + 1;
                return false;
            }
            int cut = _eof ? pending.Length : pending.LastIndexOf((byte)'\n') + 1;
            if (cut == 0)
            {
                if (pending.Length > MaxLineBytes) throw LineTooLong();
                Fill(); // one line longer than the target: read on
                continue;
            }
            block = ArrayPool<byte>.Shared.Rent(cut);
            pending[..cut].CopyTo(block);
            length = cut;
            firstLine = LineNumber + 1;
            lines = pending[..cut].Count((byte)'\n') + (pending[cut - 1] == (byte)'\n' ? 0 : 1);
            LineNumber += lines;
            _start += cut;
            return true;
        }
    }

    internal static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private SpDnnDataException LineTooLong() =>
        new(FileName, $"line longer than {MaxLineBytes} bytes: not a text file of this format", LineNumber + 1);

    /// <summary>An error at the line last returned.</summary>
    public SpDnnDataException Error(string reason) => new(FileName, reason, LineNumber);
}
