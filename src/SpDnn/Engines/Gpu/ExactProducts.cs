using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// When a fused multiply-add equals the reference's rounded product plus sum. fma(y, w, s)
/// rounds y*w + s once; the reference rounds y*w, then the sum. The two agree bit for bit
/// whenever y*w is exactly representable, and it is when every weight is ±2^k (a normal float)
/// and |y| keeps the product inside the normal range: 2^(-126-kmin) &lt;= |y| &lt; 2^(128-kmax)
/// for the layer's smallest and largest exponents (or y == 0). The kernel checks each staged
/// input against these bounds and takes the fused path only when all pass.
/// </summary>
public static class ExactProducts
{
    /// <summary>Bounds that no nonzero input passes: the rounded path always.</summary>
    public static (float Low, float High) Never => (float.PositiveInfinity, 0f);

    /// <summary>Input magnitudes [Low, High) whose products with every weight are exact.</summary>
    public static (float Low, float High) Bounds(ReadOnlySpan<float> weights)
    {
        int minExponent = int.MaxValue, maxExponent = int.MinValue;
        foreach (uint bits in MemoryMarshal.Cast<float, uint>(weights))
        {
            uint magnitude = bits & 0x7FFF_FFFFu;
            if (magnitude == 0) continue; // zero weights (padding) give exact zero products
            int biased = (int)(magnitude >> 23);
            // Not a power of two, or subnormal, infinite or NaN: products may round.
            if ((magnitude & 0x007F_FFFFu) != 0 || biased == 0 || biased == 255) return Never;
            minExponent = Math.Min(minExponent, biased - 127);
            maxExponent = Math.Max(maxExponent, biased - 127);
        }
        if (minExponent == int.MaxValue) return (0f, float.PositiveInfinity); // no nonzero weight
        // Below 2^-149 every nonzero float passes (the product is a multiple of 2^-149 then).
        float low = MathF.ScaleB(1f, Math.Max(-149, -126 - minExponent));
        if (-126 - minExponent < -149) low = 0f;
        float high = 128 - maxExponent > 127 ? float.PositiveInfinity : MathF.ScaleB(1f, 128 - maxExponent);
        return (low, high);
    }

    /// <summary>True when y's products with the bounded weights are exact (the kernel's test).</summary>
    public static bool Passes(float y, float low, float high)
    {
        float magnitude = Math.Abs(y);
        return y == 0f || (magnitude >= low && magnitude < high);
    }
}
