namespace SpDnn.Formats;

/// <summary>
/// Bytes already read from a stream that cannot seek (to judge its content), followed by the
/// rest of it: the readers then see the stream from its start.
/// </summary>
internal sealed class PrefixStream(byte[] prefix, int prefixLength, Stream rest) : Stream
{
    private int _position;

    /// <summary>Reads up to <paramref name="count"/> bytes of <paramref name="stream"/> and returns them with a stream that replays them.</summary>
    public static (PrefixStream Stream, ReadOnlyMemory<byte> Head) Peek(Stream stream, int count)
    {
        var head = new byte[count];
        int n = stream.ReadAtLeast(head, count, throwOnEndOfStream: false);
        return (new PrefixStream(head, n, stream), head.AsMemory(0, n));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position < prefixLength)
        {
            int n = Math.Min(buffer.Length, prefixLength - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
