using System.Globalization;
using System.Runtime.CompilerServices;

namespace SpDnn.Formats;

/// <summary>
/// Parses whitespace-separated numeric fields straight from UTF-8 bytes. Integers are plain
/// decimal digits; real values take a fast exact path for short decimals (the official
/// <c>6.250000e-02</c> and <c>1</c>) and fall back to the runtime's correctly rounded parser.
/// Every method advances <c>position</c> past the field and returns false on malformed input.
/// </summary>
internal static class TextFields
{
    // Powers of ten exact in float32: 10^0 .. 10^10.
    private static readonly float[] Pow10 = [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SkipSpaces(ReadOnlySpan<byte> line, ref int position)
    {
        while ((uint)position < (uint)line.Length && (line[position] == (byte)'\t' || line[position] == (byte)' ')) position++;
    }

    /// <summary>True when only spaces or tabs remain.</summary>
    public static bool AtEnd(ReadOnlySpan<byte> line, int position)
    {
        SkipSpaces(line, ref position);
        return position >= line.Length;
    }

    /// <summary>A non-negative decimal integer of at most 18 digits, after optional spaces.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseIndex(ReadOnlySpan<byte> line, ref int position, out long value)
    {
        SkipSpaces(line, ref position);
        int p = position;
        long v = 0;
        while ((uint)p < (uint)line.Length)
        {
            uint d = (uint)(line[p] - '0');
            if (d > 9) break;
            v = v * 10 + d;
            p++;
        }
        int digits = p - position;
        value = v;
        if (digits == 0 || digits > 18) return false;
        if ((uint)p < (uint)line.Length && line[p] != (byte)'\t' && line[p] != (byte)' ') return false;
        position = p;
        return true;
    }

    /// <summary>A real number (decimal, optional exponent, or anything float.Parse accepts such as NaN).</summary>
    public static bool TryParseReal(ReadOnlySpan<byte> line, ref int position, out float value)
    {
        SkipSpaces(line, ref position);
        int start = position;
        int end = start;
        while ((uint)end < (uint)line.Length && line[end] != (byte)'\t' && line[end] != (byte)' ') end++;
        var field = line[start..end];
        if (field.IsEmpty)
        {
            value = 0;
            return false;
        }
        position = end;
        if (TryParseShortDecimal(field, out value)) return true;
        if (float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        return TryParseNonFinite(field, out value);
    }

    // C's spellings (inf, infinity, nan, any case, optional sign), so such values are reported as
    // not finite rather than as malformed.
    private static bool TryParseNonFinite(ReadOnlySpan<byte> field, out float value)
    {
        bool negative = field[0] == (byte)'-';
        var word = field[0] is (byte)'-' or (byte)'+' ? field[1..] : field;
        value = 0;
        if (word.EqualsIgnoreCaseAscii("inf"u8) || word.EqualsIgnoreCaseAscii("infinity"u8))
            value = negative ? float.NegativeInfinity : float.PositiveInfinity;
        else if (word.EqualsIgnoreCaseAscii("nan"u8))
            value = float.NaN;
        else
            return false;
        return true;
    }

    private static bool EqualsIgnoreCaseAscii(this ReadOnlySpan<byte> text, ReadOnlySpan<byte> lower)
    {
        if (text.Length != lower.Length) return false;
        for (int i = 0; i < text.Length; i++)
            if ((text[i] | 0x20) != lower[i]) return false;
        return true;
    }

    /// <summary>
    /// Exact fast path: a decimal whose significant digits form an integer m ≤ 2^24 and whose
    /// power of ten has |e| ≤ 10. Then m and 10^|e| are exact floats and one multiplication or
    /// division rounds correctly, giving the same bits as a correctly rounded parser.
    /// </summary>
    private static bool TryParseShortDecimal(ReadOnlySpan<byte> s, out float value)
    {
        value = 0;
        int p = 0;
        bool negative = false;
        if (s[0] == (byte)'-' || s[0] == (byte)'+')
        {
            negative = s[0] == (byte)'-';
            p = 1;
        }
        long mantissa = 0;
        int exponent = 0;
        bool any = false;
        for (; p < s.Length; p++)
        {
            uint d = (uint)(s[p] - '0');
            if (d > 9) break;
            any = true;
            if (mantissa > 100_000_000) return false;
            mantissa = mantissa * 10 + d;
        }
        if (p < s.Length && s[p] == (byte)'.')
        {
            for (p++; p < s.Length; p++)
            {
                uint d = (uint)(s[p] - '0');
                if (d > 9) break;
                any = true;
                if (mantissa > 100_000_000) return false;
                mantissa = mantissa * 10 + d;
                exponent--;
            }
        }
        if (!any) return false;
        if (p < s.Length && (s[p] == (byte)'e' || s[p] == (byte)'E'))
        {
            p++;
            bool negativeExponent = false;
            if (p < s.Length && (s[p] == (byte)'-' || s[p] == (byte)'+'))
            {
                negativeExponent = s[p] == (byte)'-';
                p++;
            }
            int e = 0, expDigits = 0;
            for (; p < s.Length; p++)
            {
                uint d = (uint)(s[p] - '0');
                if (d > 9) break;
                if (e < 10000) e = e * 10 + (int)d;
                expDigits++;
            }
            if (expDigits == 0) return false;
            exponent += negativeExponent ? -e : e;
        }
        if (p != s.Length) return false;
        if (mantissa == 0)
        {
            value = negative ? -0f : 0f;
            return true;
        }
        while (mantissa > (1 << 24) && mantissa % 10 == 0)
        {
            mantissa /= 10;
            exponent++;
        }
        while (exponent < -10 && mantissa % 10 == 0)
        {
            mantissa /= 10;
            exponent++;
        }
        if (mantissa > (1 << 24) || exponent < -10 || exponent > 10) return false;
        float m = mantissa;
        value = exponent >= 0 ? m * Pow10[exponent] : m / Pow10[-exponent];
        if (negative) value = -value;
        return true;
    }
}
