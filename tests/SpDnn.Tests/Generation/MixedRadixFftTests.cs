using System.Numerics;
using SpDnn.Generation;

namespace SpDnn.Tests.Generation;

public sealed class MixedRadixFftTests
{
    public static TheoryData<int> Lengths => [1, 2, 3, 4, 5, 7, 8, 12, 16, 28, 30, 49, 60, 64, 97, 105, 210, 256, 375, 448, 840, 1000, 1536, 2401];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ForwardEqualsTheDirectDft(int n)
    {
        var x = RandomSignal(n, seed: n);
        var expected = DirectDft(x, sign: -1);
        var actual = x.ToArray();
        new MixedRadixFft(n).Forward(actual, new Complex[n]);
        AssertClose(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void InverseEqualsTheUnscaledDirectInverseDft(int n)
    {
        var x = RandomSignal(n, seed: 1000 + n);
        var expected = DirectDft(x, sign: +1);
        var actual = x.ToArray();
        new MixedRadixFft(n).Inverse(actual, new Complex[n]);
        AssertClose(expected, actual);
    }

    [Fact]
    public void RoundTripOfAChallengeLengthRecoversTheSignal()
    {
        int n = 28 * 600; // 2^5·3·5^2·7, the factors of the image rows
        var fft = new MixedRadixFft(n);
        Assert.Equal([4, 4, 2, 3, 5, 5, 7], fft.Radices);
        var x = RandomSignal(n, seed: 7);
        var y = x.ToArray();
        var scratch = new Complex[n];
        fft.Forward(y, scratch);
        fft.Inverse(y, scratch);
        for (int i = 0; i < n; i++) y[i] /= n;
        AssertClose(x, y);
    }

    [Fact]
    public void OnePlanServesSeveralThreads()
    {
        int n = 2 * 3 * 5 * 7 * 16;
        var fft = new MixedRadixFft(n);
        var x = RandomSignal(n, seed: 3);
        var expected = x.ToArray();
        fft.Forward(expected, new Complex[n]);
        Parallel.For(0, 8, _ =>
        {
            var y = x.ToArray();
            fft.Forward(y, new Complex[n]);
            Assert.Equal(expected, y);
        });
    }

    private static Complex[] RandomSignal(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => new Complex(rng.NextDouble() * 255, rng.NextDouble() - 0.5))];
    }

    private static Complex[] DirectDft(Complex[] x, int sign)
    {
        int n = x.Length;
        var result = new Complex[n];
        for (int f = 0; f < n; f++)
        {
            Complex sum = 0;
            for (int t = 0; t < n; t++)
            {
                double angle = sign * 2 * Math.PI * ((long)f * t % n) / n;
                sum += x[t] * new Complex(Math.Cos(angle), Math.Sin(angle));
            }
            result[f] = sum;
        }
        return result;
    }

    private static void AssertClose(Complex[] expected, Complex[] actual)
    {
        double scale = expected.Max(c => c.Magnitude) + 1e-300;
        double worst = expected.Zip(actual, (e, a) => (e - a).Magnitude).Max();
        Assert.True(worst <= 1e-13 * scale, $"max error {worst:E3} relative {worst / scale:E3}");
    }
}
