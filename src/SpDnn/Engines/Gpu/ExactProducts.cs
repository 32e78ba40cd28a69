using System.Numerics;
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
internal static class ExactProducts
{
    /// <summary>Bounds that no nonzero input passes: the rounded path always.</summary>
    public static (float Low, float High) Never => (float.PositiveInfinity, 0f);

    /// <summary>Input magnitudes [Low, High) whose products with every weight are exact.</summary>
    public static (float Low, float High) Bounds(ReadOnlySpan<float> weights)
    {
        // Over all nonzero weights: any significand bit set (not a power of two, or subnormal, or
        // NaN), and the smallest and largest biased exponents (255: infinite). SIMD: planning
        // scans every weight of the network once (4 G of them at 65536 x 1920).
        var bits = MemoryMarshal.Cast<float, uint>(weights);
        var magnitudeMask = new Vector<uint>(0x7FFF_FFFFu);
        var significandMask = new Vector<uint>(0x007F_FFFFu);
        var none = new Vector<uint>(255);
        Vector<uint> significands = Vector<uint>.Zero, minimum = none, maximum = Vector<uint>.Zero;
        int i = 0;
        for (; i + Vector<uint>.Count <= bits.Length; i += Vector<uint>.Count)
        {
            var magnitude = new Vector<uint>(bits.Slice(i)) & magnitudeMask;
            var nonzero = ~Vector.Equals(magnitude, Vector<uint>.Zero);
            var biased = Vector.ShiftRightLogical(magnitude, 23);
            significands |= magnitude & significandMask;
            minimum = Vector.Min(minimum, Vector.ConditionalSelect(nonzero, biased, none));
            maximum = Vector.Max(maximum, biased & nonzero);
        }
        uint anySignificand = 0, minBiased = 255, maxBiased = 0;
        for (int k = 0; k < Vector<uint>.Count; k++)
        {
            anySignificand |= significands[k];
            minBiased = Math.Min(minBiased, minimum[k]);
            maxBiased = Math.Max(maxBiased, maximum[k]);
        }
        for (; i < bits.Length; i++)
        {
            uint magnitude = bits[i] & 0x7FFF_FFFFu;
            if (magnitude == 0) continue; // zero weights (padding) give exact zero products
            anySignificand |= magnitude & 0x007F_FFFFu;
            minBiased = Math.Min(minBiased, magnitude >> 23);
            maxBiased = Math.Max(maxBiased, magnitude >> 23);
        }
        if (maxBiased == 0) return (0f, float.PositiveInfinity); // no nonzero weight
        // Not a power of two, subnormal (significand bits, biased 0), infinite or NaN: products may round.
        if (anySignificand != 0 || maxBiased == 255) return Never;
        int minExponent = (int)minBiased - 127, maxExponent = (int)maxBiased - 127;
        // Below 2^-149 every nonzero float passes (the product is a multiple of 2^-149 then).
        float low = -126 - minExponent < -149 ? 0f : MathF.ScaleB(1f, -126 - minExponent);
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
