using SpDnn.Generation;

namespace SpDnn.Tests.Generation;

public sealed class MersenneTwister19937Tests
{
    [Fact]
    public void FirstOutputsOfSeed5489AreTheReferenceValues()
    {
        var mt = new MersenneTwister19937();
        Assert.Equal(3499211612u, mt.NextUInt32());
        Assert.Equal(581869302u, mt.NextUInt32());
        Assert.Equal(3890346734u, mt.NextUInt32());
    }

    [Fact]
    public void TenThousandthOutputMatchesTheCxxStandard()
    {
        // [rand.predef]: the 10000th consecutive invocation of a default-constructed mt19937 yields 4123659995.
        var mt = new MersenneTwister19937();
        uint last = 0;
        for (int i = 0; i < 10000; i++) last = mt.NextUInt32();
        Assert.Equal(4123659995u, last);
    }

    [Fact]
    public void Res53DoublesMatchMatlabsDefaultStream()
    {
        var mt = new MersenneTwister19937();
        Assert.Equal(0.8147236863931789, mt.NextDouble());
        Assert.Equal(0.9057919370756192, mt.NextDouble());
        Assert.Equal(0.12698681629350606, mt.NextDouble());
    }

    [Theory]
    // Values computed independently with CPython's MT19937 (random.setstate from init_genrand(5489)).
    [InlineData(326_656, 0.08732205420647066, 0.09196482081846036)]
    [InlineData(1_305_600, 0.6659635376685985, 0.7524772410966954)]
    [InlineData(4_434_944, 0.6451683033544736, 0.24050710077316217)]
    public void SkipLandsOnTheRightDouble(long index, double expected, double following)
    {
        var mt = new MersenneTwister19937();
        mt.SkipDoubles(index);
        Assert.Equal(expected, mt.NextDouble());
        Assert.Equal(following, mt.NextDouble());
    }

    [Fact]
    public void SkipEqualsDrawingAndCloneIsIndependent()
    {
        var drawn = new MersenneTwister19937();
        for (int i = 0; i < 1000; i++) drawn.NextDouble();
        var skipped = new MersenneTwister19937();
        skipped.SkipDoubles(999);
        skipped.NextDouble();
        var copy = skipped.Clone();
        Assert.Equal(drawn.NextRes53Integer(), skipped.NextRes53Integer());
        Assert.Equal(drawn.NextUInt32(), skipped.NextUInt32());
        var fresh = new MersenneTwister19937();
        fresh.SkipDoubles(1000);
        Assert.Equal(fresh.NextDouble(), copy.NextDouble());
    }

    [Fact]
    public void Res53IntegerIsTheDoubleTimesTwoToThe53()
    {
        var a = new MersenneTwister19937(42);
        var b = new MersenneTwister19937(42);
        for (int i = 0; i < 100; i++)
        {
            ulong k = a.NextRes53Integer();
            Assert.True(k < 1ul << 53);
            Assert.Equal((double)k / 9007199254740992.0, b.NextDouble());
        }
    }
}
