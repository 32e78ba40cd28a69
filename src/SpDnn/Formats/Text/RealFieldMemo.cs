namespace SpDnn.Formats;

/// <summary>
/// Remembers the text and value of the last real field parsed. Value columns of sparse data
/// repeat the same text line after line (every weight of a layer, every pixel of an image set),
/// so comparing a few bytes replaces most parses; any other text is parsed as usual.
/// </summary>
internal struct RealFieldMemo
{
    private const int Capacity = 24;
    private InlineBytes _text;
    private int _length;
    private float _value;

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    private struct InlineBytes
    {
        private byte _first;
    }

    public bool TryParse(ReadOnlySpan<byte> line, ref int position, out float value)
    {
        TextFields.SkipSpaces(line, ref position);
        var rest = line[position..];
        var memo = ((ReadOnlySpan<byte>)_text)[.._length];
        // The remembered text, followed by the end of the line or a separator.
        if (_length > 0 && rest.StartsWith(memo) && (rest.Length == _length || rest[_length] is (byte)'\t' or (byte)' '))
        {
            position += _length;
            value = _value;
            return true;
        }
        int start = position;
        if (!TextFields.TryParseReal(line, ref position, out value)) return false;
        var field = line[start..position];
        if (field.Length <= Capacity)
        {
            field.CopyTo(_text);
            _length = field.Length;
            _value = value;
        }
        return true;
    }
}
