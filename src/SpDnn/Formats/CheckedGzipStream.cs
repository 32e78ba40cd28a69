using System.Buffers.Binary;
using System.IO.Compression;

namespace SpDnn.Formats;

/// <summary>
/// Decompresses a gzip file and reports truncation. <see cref="GZipStream"/> verifies the CRC of
/// a complete member but ends silently when the compressed data is cut short, so this stream
/// compares the decompressed length with the size the file's trailer records (ISIZE, the length
/// modulo 2^32) when the data ends. Multi-member files are accepted only when the last member's
/// size equals the total, which holds for the single-member files gzip and pigz write.
/// </summary>
public sealed class CheckedGzipStream : Stream
{
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly string _name;
    private readonly uint _recordedSize;
    private readonly long _compressedLength;
    private long _produced;
    private bool _checked;

    public CheckedGzipStream(string path, int bufferSize = 1 << 20)
    {
        _name = path;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
        _compressedLength = _file.Length;
        if (_compressedLength < 18)
        {
            _file.Dispose();
            throw new SpDnnDataException(path, "truncated gzip data (shorter than a gzip header and trailer)", byteOffset: _compressedLength);
        }
        Span<byte> trailer = stackalloc byte[4];
        _file.Seek(-4, SeekOrigin.End);
        _file.ReadExactly(trailer);
        _file.Seek(0, SeekOrigin.Begin);
        _recordedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        _gzip = new GZipStream(_file, CompressionMode.Decompress, leaveOpen: false);
    }

    /// <summary>Decompressed bytes delivered so far.</summary>
    public long Produced => _produced;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _gzip.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new SpDnnDataException(_name, $"corrupt gzip data: {e.Message}", byteOffset: SafePosition(), inner: e);
        }
        _produced += n;
        if (n == 0 && buffer.Length > 0 && !_checked)
        {
            _checked = true;
            if ((uint)_produced != _recordedSize)
                throw new SpDnnDataException(_name,
                    $"truncated gzip data: {_produced} bytes decompressed but the trailer records {_recordedSize} (mod 2^32)",
                    byteOffset: _compressedLength);
        }
        return n;
    }

    private long SafePosition()
    {
        try { return _file.Position; } catch (ObjectDisposedException) { return 0; }
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
        if (disposing) _gzip.Dispose();
        base.Dispose(disposing);
    }
}
