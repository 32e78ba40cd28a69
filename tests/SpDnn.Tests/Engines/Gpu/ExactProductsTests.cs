using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>The arithmetic behind the layer kernel's fused path, checked against the hardware's own fused multiply-add.</summary>
public sealed class ExactProductsTests
{
    [Fact]
    public void SoftwareFmaIsCorrectlyRoundedLikeTheHardwareFma()
    {
        var random = new Random(5);
        int checkedCount = 0;
        for (int i = 0; i < 2_000_000; i++)
        {
            float y = RandomFloat(random), w = RandomFloat(random), s = RandomFloat(random);
            if (i % 4 == 1) s = -(float)((double)y * w); // cancellation: the product's low bits decide
            if (i % 4 == 2) s = (float)((double)y * w) * (random.Next(2) == 0 ? 1f : -0.5f);
            float expected = MathF.FusedMultiplyAdd(y, w, s);
            float actual = SoftwareFma.FusedMultiplyAdd(y, w, s);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual) || (float.IsNaN(expected) && float.IsNaN(actual)),
                $"fma({y:R}, {w:R}, {s:R}): hardware {expected:R}, software {actual:R}");
            checkedCount++;
        }
        Assert.Equal(2_000_000, checkedCount);
    }

    [Fact]
    public void SoftwareFmaBreaksMidpointTiesByTheDiscardedBits()
    {
        // 1 + 2^-24 is the midpoint between 1 and the next float; the product's tail decides.
        float y = 1f + MathF.ScaleB(1f, -23), w = 1f + MathF.ScaleB(1f, -23);
        foreach (float s in new[] { -MathF.ScaleB(1f, -23), 0f, 1f, -1f, MathF.ScaleB(1f, -24), float.MaxValue, -float.MaxValue })
            Assert.Equal(MathF.FusedMultiplyAdd(y, w, s), SoftwareFma.FusedMultiplyAdd(y, w, s));
        // Near the overflow threshold: FLT_MAX + half a step rounds by the tail.
        float big = float.MaxValue, half = MathF.ScaleB(1f, 103);
        Assert.Equal(MathF.FusedMultiplyAdd(half, 1f + MathF.ScaleB(1f, -23), big), SoftwareFma.FusedMultiplyAdd(half, 1f + MathF.ScaleB(1f, -23), big));
        Assert.Equal(MathF.FusedMultiplyAdd(half, 1f - MathF.ScaleB(1f, -24), big), SoftwareFma.FusedMultiplyAdd(half, 1f - MathF.ScaleB(1f, -24), big));
    }

    [Fact]
    public void BoundsAdmitOnlyPowerOfTwoWeights()
    {
        Assert.Equal(ExactProducts.Never, ExactProducts.Bounds([0.0625f, 0.1f]));
        Assert.Equal(ExactProducts.Never, ExactProducts.Bounds([0.5f, float.Epsilon])); // subnormal weight
        Assert.Equal(ExactProducts.Never, ExactProducts.Bounds([float.PositiveInfinity]));
        Assert.Equal((0f, float.PositiveInfinity), ExactProducts.Bounds([0f, -0f]));
        var (low, high) = ExactProducts.Bounds([0.0625f, -4f, 0f]);
        Assert.Equal(MathF.ScaleB(1f, -122), low);   // 2^-4 keeps y * w normal from 2^-122 up
        Assert.Equal(MathF.ScaleB(1f, 126), high);   // 4 * y stays finite below 2^126
        Assert.Equal(0f, ExactProducts.Bounds([MathF.ScaleB(1f, 30)]).Low);
        Assert.Equal(float.PositiveInfinity, ExactProducts.Bounds([0.5f]).High);
    }

    [Fact]
    public void BoundsOfLongWeightListsMatchAScalarScan()
    {
        // Long lists take the SIMD loop: one odd weight anywhere (or none) must give the same
        // bounds as a plain scan.
        var random = new Random(17);
        var odd = new[] { 0.1f, float.Epsilon, float.PositiveInfinity, float.NaN, MathF.ScaleB(1f, 100), MathF.ScaleB(-1f, -120), 0f };
        for (int trial = 0; trial < 400; trial++)
        {
            var weights = new float[random.Next(0, 300)];
            for (int i = 0; i < weights.Length; i++)
                weights[i] = random.Next(5) == 0 ? 0f : MathF.ScaleB(random.Next(2) == 0 ? 1f : -1f, random.Next(-10, 6));
            if (weights.Length > 0 && trial % 2 == 0) weights[random.Next(weights.Length)] = odd[trial / 2 % odd.Length];
            Assert.Equal(ScalarBounds(weights), ExactProducts.Bounds(weights));
        }
    }

    /// <summary>The bounds by their definition, one weight at a time.</summary>
    private static (float Low, float High) ScalarBounds(float[] weights)
    {
        int min = int.MaxValue, max = int.MinValue;
        foreach (float w in weights)
        {
            if (w == 0f) continue;
            if (!float.IsFinite(w) || float.IsSubnormal(w)) return ExactProducts.Never;
            if (BitConverter.SingleToInt32Bits(w) % (1 << 23) != 0) return ExactProducts.Never;
            int exponent = (int)Math.Floor(Math.Log2(Math.Abs(w)));
            min = Math.Min(min, exponent);
            max = Math.Max(max, exponent);
        }
        if (min == int.MaxValue) return (0f, float.PositiveInfinity);
        return (-126 - min < -149 ? 0f : MathF.ScaleB(1f, -126 - min), 128 - max > 127 ? float.PositiveInfinity : MathF.ScaleB(1f, 128 - max));
    }

    [Fact]
    public void InputsWithinTheBoundsMakeFusedAndRoundedSumsEqual()
    {
        var random = new Random(11);
        int passing = 0, failing = 0, differing = 0;
        for (int i = 0; i < 200_000; i++)
        {
            // Two weights of random power-of-two exponents across the whole normal range.
            float w1 = MathF.ScaleB(random.Next(2) == 0 ? 1f : -1f, random.Next(-126, 128));
            float w2 = MathF.ScaleB(random.Next(2) == 0 ? 1f : -1f, random.Next(-126, 128));
            var (low, high) = ExactProducts.Bounds([w1, w2]);
            float y = RandomFloat(random), s = RandomFloat(random);
            foreach (float w in new[] { w1, w2 })
            {
                float fused = MathF.FusedMultiplyAdd(y, w, s), rounded = s + y * w;
                bool same = BitConverter.SingleToInt32Bits(fused) == BitConverter.SingleToInt32Bits(rounded) || (float.IsNaN(fused) && float.IsNaN(rounded));
                if (ExactProducts.Passes(y, low, high))
                {
                    passing++;
                    Assert.True(same, $"y={y:R} w={w:R} s={s:R} passes [{low:R}, {high:R}) but fma {fused:R} != {rounded:R}");
                }
                else
                {
                    failing++;
                    if (!same) differing++;
                }
            }
        }
        // Both sides are exercised, and the rejected side does contain real differences.
        Assert.True(passing > 100_000 && failing > 10_000 && differing > 100, $"{passing} passing, {failing} failing, {differing} differing");
    }

    /// <summary>Floats of every magnitude, subnormals, zeros and infinities included.</summary>
    private static float RandomFloat(Random random) => random.Next(16) switch
    {
        0 => BitConverter.Int32BitsToSingle(random.Next(0, 1 << 23) | (random.Next(2) << 31)), // subnormal or zero
        1 => float.PositiveInfinity * (random.Next(2) == 0 ? 1 : -1),
        2 => 0f,
        _ => BitConverter.Int32BitsToSingle(random.Next(1, 255) << 23 | random.Next(0, 1 << 23) | (random.Next(2) << 31)),
    };
}
