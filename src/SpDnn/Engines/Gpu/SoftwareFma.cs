using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A correctly rounded float fused multiply-add in plain double arithmetic, for kernels run on
/// ILGPU's CPU accelerator: MathF.FusedMultiplyAdd does not compile in a kernel (the PTX backend
/// leaves it an unresolved extern, even in a branch only the CPU takes), and the CPU tests must
/// see a true fused result, or a wrong choice of the fused path would go unnoticed there.
/// Written with what ILGPU compiles (no BitConverter, no MathF.BitIncrement).
/// </summary>
internal static class SoftwareFma
{
    public static float FusedMultiplyAdd(float y, float w, float sum)
    {
        double product = (double)y * w; // exact: 24 x 24 significand bits, exponents well inside double's
        double high = product + sum;
        // TwoSum: high + low is exactly product + sum.
        double back = high - product;
        double low = (product - (high - back)) + (sum - back);
        float rounded = (float)high;
        if (low == 0 || !(Math.Abs(high) <= double.MaxValue)) return rounded;
        // Rounding high instead of the exact sum differs only when high is the midpoint of two
        // neighbouring floats; then the exact sum lies on low's side of it.
        float below = rounded <= high ? rounded : NextDown(rounded);
        if (below == float.NegativeInfinity) return rounded;
        double step = below == float.MaxValue ? TopStep : (double)NextUp(below) - below;
        if (below + step / 2 != high) return rounded;
        return low > 0 ? NextUp(below) : below;
    }

    /// <summary>The gap above float.MaxValue up to 2^128, where rounding overflows.</summary>
    private const double TopStep = 20282409603651670423947251286016.0; // 2^104

    /// <summary>The next float towards +infinity (finite, or -infinity, input).</summary>
    private static float NextUp(float x)
    {
        if (x == 0f) return Interop.IntAsFloat(1u);
        uint bits = Interop.FloatAsInt(x);
        return Interop.IntAsFloat(x > 0f ? bits + 1 : bits - 1);
    }

    /// <summary>The next float towards -infinity (finite, or +infinity, input).</summary>
    private static float NextDown(float x) => -NextUp(-x);
}
