using System.Globalization;

namespace SpDnn.Formats;

/// <summary>Buffered UTF-8 output of numbers and separators, formatted straight into bytes.</summary>
internal sealed class Utf8TextWriter(Stream stream, int bufferSize = 1 << 20) : IDisposable
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _used;

    private Span<byte> Reserve(int bytes)
    {
        if (_used + bytes > _buffer.Length) Flush();
        return _buffer.AsSpan(_used);
    }

    public void Write(long value)
    {
        value.TryFormat(Reserve(24), out int n, default, CultureInfo.InvariantCulture);
        _used += n;
    }

    /// <summary>Shortest text that parses back to the same float.</summary>
    public void Write(float value)
    {
        value.TryFormat(Reserve(48), out int n, default, CultureInfo.InvariantCulture);
        _used += n;
    }

    /// <summary>With a .NET custom or standard format (for the official <c>0.000000e+00</c>).</summary>
    public void Write(double value, string format)
    {
        value.TryFormat(Reserve(64), out int n, format, CultureInfo.InvariantCulture);
        _used += n;
    }

    public void Write(byte character)
    {
        Reserve(1)[0] = character;
        _used++;
    }

    public void Write(ReadOnlySpan<byte> text)
    {
        if (text.Length > _buffer.Length)
        {
            Flush();
            stream.Write(text);
            return;
        }
        text.CopyTo(Reserve(text.Length));
        _used += text.Length;
    }

    public void Write(string text) => Write(System.Text.Encoding.UTF8.GetBytes(text));

    public void Flush()
    {
        stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    public void Dispose() => Flush();
}
