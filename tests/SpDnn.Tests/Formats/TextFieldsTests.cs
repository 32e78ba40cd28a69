using System.Globalization;
using System.Text;
using SpDnn.Formats;

namespace SpDnn.Tests.Formats;

public class TextFieldsTests
{
    private static float ParseReal(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int p = 0;
        Assert.True(TextFields.TryParseReal(bytes, ref p, out float value), text);
        return value;
    }

    [Theory]
    [InlineData("6.250000e-02", 0.0625f)]
    [InlineData("1", 1f)]
    [InlineData("-0.5", -0.5f)]
    [InlineData("3.2E+01", 32f)]
    [InlineData("0", 0f)]
    [InlineData(".25", 0.25f)]
    [InlineData("1e-3", 0.001f)]
    public void ParsesCommonForms(string text, float expected) => Assert.Equal(expected, ParseReal(text));

    [Fact]
    public void AgreesBitForBitWithTheRuntimeParser()
    {
        var rng = new Random(11);
        string[] formats = ["R", "E6", "F4", "G3", "E2", "0.000000e+00", "F0"];
        for (int i = 0; i < 20000; i++)
        {
            double magnitude = Math.Pow(10, rng.Next(-12, 12));
            float v = (float)((rng.NextDouble() - 0.5) * magnitude);
            string text = v.ToString(formats[i % formats.Length], CultureInfo.InvariantCulture);
            float expected = float.Parse(text, CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(ParseReal(text)));
        }
        // Decimals near float rounding boundaries, with many digits.
        foreach (var text in new[] { "16777217", "0.1", "0.3", "1.00000005960464477539", "3.4028235e38", "1.17549435e-38", "123456789", "9.999999e9" })
            Assert.Equal(BitConverter.SingleToInt32Bits(float.Parse(text, CultureInfo.InvariantCulture)), BitConverter.SingleToInt32Bits(ParseReal(text)));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("1e")]
    [InlineData("--1")]
    public void RejectsMalformedReals(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int p = 0;
        Assert.False(TextFields.TryParseReal(bytes, ref p, out _));
    }

    [Fact]
    public void NonFiniteTextParsesToNonFiniteValues()
    {
        Assert.True(float.IsNaN(ParseReal("NaN")));
        Assert.True(float.IsInfinity(ParseReal("inf")));
        Assert.True(float.IsInfinity(ParseReal("1e60")));
    }

    [Theory]
    [InlineData("12\t7", 12L, 7L)]
    [InlineData("  3 4", 3L, 4L)]
    public void ParsesIndices(string text, long first, long second)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int p = 0;
        Assert.True(TextFields.TryParseIndex(bytes, ref p, out long a));
        Assert.True(TextFields.TryParseIndex(bytes, ref p, out long b));
        Assert.Equal((first, second), (a, b));
        Assert.True(TextFields.AtEnd(bytes, p));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1x")]
    [InlineData("")]
    [InlineData("1.5")]
    public void RejectsMalformedIndices(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int p = 0;
        Assert.False(TextFields.TryParseIndex(bytes, ref p, out _));
    }
}
