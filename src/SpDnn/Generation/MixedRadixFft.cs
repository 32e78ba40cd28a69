using System.Numerics;
using System.Runtime.CompilerServices;

namespace SpDnn.Generation;

/// <summary>
/// Complex double-precision FFT of one fixed length, any length: a self-sorting (Stockham)
/// mixed-radix transform with radix-4 and radix-2 butterflies and a direct small DFT for every
/// odd prime factor (3, 5 and 7 for the challenge's image lengths; a large prime factor works but
/// costs O(p) per point). Twiddles come from one table of exp(-2πi e/n), each entry computed
/// directly, so the error stays at a few ulps times log n. The plan is immutable and may be used
/// by several threads at once, each with its own scratch buffer.
/// </summary>
/// <remarks>
/// Managed libraries on the package feed (MathNet.Numerics 5, FftSharp) transform lengths that are
/// not powers of two by Bluestein's algorithm on a padded power of two, three large transforms per
/// call; for the 15,360,000-point rows of the N=65536 images this transform is several times faster.
/// </remarks>
public sealed class MixedRadixFft
{
    private readonly int[] _radices;
    private readonly Complex[] _roots; // _roots[e] = exp(-2πi e / n)

    public MixedRadixFft(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Length = length;
        _radices = Factor(length);
        _roots = new Complex[length];
        // Symmetry would halve the table, but direct evaluation keeps every entry correctly rounded-ish.
        Parallel.For(0, (length + 65535) / 65536, chunk =>
        {
            int end = Math.Min(length, (chunk + 1) * 65536);
            for (int e = chunk * 65536; e < end; e++)
            {
                var (sin, cos) = Math.SinCos(-2.0 * Math.PI * e / length);
                _roots[e] = new Complex(cos, sin);
            }
        });
    }

    public int Length { get; }

    /// <summary>Radices in the order the stages apply them.</summary>
    public IReadOnlyList<int> Radices => _radices;

    /// <summary>X[f] = Σ x[t] exp(-2πi f t / n), in place; <paramref name="scratch"/> holds at least n values.</summary>
    public void Forward(Span<Complex> data, Span<Complex> scratch) => Transform(data, scratch, inverse: false);

    /// <summary>x[t] = Σ X[f] exp(+2πi f t / n), in place and unscaled (no 1/n).</summary>
    public void Inverse(Span<Complex> data, Span<Complex> scratch) => Transform(data, scratch, inverse: true);

    private void Transform(Span<Complex> data, Span<Complex> scratch, bool inverse)
    {
        int n = Length;
        if (data.Length != n) throw new ArgumentException($"Expected {n} values, got {data.Length}.", nameof(data));
        if (scratch.Length < n) throw new ArgumentException($"Scratch needs {n} values.", nameof(scratch));
        Span<Complex> source = data, target = scratch[..n];
        int done = 1; // L*: length of the transforms finished so far
        foreach (int p in _radices)
        {
            Stage(source, target, done, p, inverse);
            done *= p;
            var swap = source; source = target; target = swap;
        }
        if (_radices.Length % 2 == 1) source.CopyTo(data);
    }

    /// <summary>
    /// One decimation-in-time stage. Input holds, for each k &lt; r·p, the length-L* transform of the
    /// samples x[k + (n/L*)·t] at [g·(n/L*) + k]; the output holds the length-L = p·L* transforms at
    /// [(g + L*·h)·r + k] with r = n/L: Z[g + L*h] = Σ_s W_p^{sh} W_L^{sg} P_{k + r s}[g].
    /// </summary>
    private void Stage(ReadOnlySpan<Complex> input, Span<Complex> output, int done, int p, bool inverse)
    {
        int n = Length, lengthNext = done * p, r = n / lengthNext, rootStep = n / lengthNext;
        var roots = _roots;
        // Per-stage buffers (one allocation per stage, none per butterfly).
        var twiddle = new Complex[p];
        bool direct = p != 2 && p != 4;
        var small = direct ? new Complex[p * p] : [];
        var gathered = direct ? new Complex[p] : [];
        if (direct)
        {
            for (int s = 0; s < p; s++)
                for (int h = 0; h < p; h++)
                    small[s * p + h] = Conjugated(roots[(int)((long)s * h % p * (n / p))], inverse);
        }
        for (int g = 0; g < done; g++)
        {
            for (int s = 0; s < p; s++) twiddle[s] = Conjugated(roots[s * g * rootStep], inverse); // s·g·rootStep < n
            int inBase = g * p * r, outBase = g * r, outStride = done * r;
            switch (p)
            {
                case 2: Radix2(input, output, inBase, outBase, r, outStride, twiddle[1]); break;
                case 4: Radix4(input, output, inBase, outBase, r, outStride, twiddle, inverse); break;
                default: RadixOdd(input, output, inBase, outBase, r, outStride, p, twiddle, small, gathered); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Complex Conjugated(Complex z, bool inverse) => inverse ? Complex.Conjugate(z) : z;

    private static void Radix2(ReadOnlySpan<Complex> input, Span<Complex> output, int inBase, int outBase, int r, int outStride, Complex w1)
    {
        var a = input.Slice(inBase, r);
        var b = input.Slice(inBase + r, r);
        var y0 = output.Slice(outBase, r);
        var y1 = output.Slice(outBase + outStride, r);
        double wr = w1.Real, wi = w1.Imaginary;
        for (int k = 0; k < r; k++)
        {
            Complex u = a[k], v = b[k];
            double vr = v.Real * wr - v.Imaginary * wi, vi = v.Real * wi + v.Imaginary * wr;
            y0[k] = new Complex(u.Real + vr, u.Imaginary + vi);
            y1[k] = new Complex(u.Real - vr, u.Imaginary - vi);
        }
    }

    private static void Radix4(ReadOnlySpan<Complex> input, Span<Complex> output, int inBase, int outBase, int r, int outStride,
        ReadOnlySpan<Complex> w, bool inverse)
    {
        var x0 = input.Slice(inBase, r);
        var x1 = input.Slice(inBase + r, r);
        var x2 = input.Slice(inBase + 2 * r, r);
        var x3 = input.Slice(inBase + 3 * r, r);
        var y0 = output.Slice(outBase, r);
        var y1 = output.Slice(outBase + outStride, r);
        var y2 = output.Slice(outBase + 2 * outStride, r);
        var y3 = output.Slice(outBase + 3 * outStride, r);
        double w1r = w[1].Real, w1i = w[1].Imaginary, w2r = w[2].Real, w2i = w[2].Imaginary, w3r = w[3].Real, w3i = w[3].Imaginary;
        // W_4 = -i forward, +i inverse: multiplying by it swaps parts and flips one sign.
        double sign = inverse ? -1.0 : 1.0;
        for (int k = 0; k < r; k++)
        {
            Complex a0 = x0[k], a1 = x1[k], a2 = x2[k], a3 = x3[k];
            double b1r = a1.Real * w1r - a1.Imaginary * w1i, b1i = a1.Real * w1i + a1.Imaginary * w1r;
            double b2r = a2.Real * w2r - a2.Imaginary * w2i, b2i = a2.Real * w2i + a2.Imaginary * w2r;
            double b3r = a3.Real * w3r - a3.Imaginary * w3i, b3i = a3.Real * w3i + a3.Imaginary * w3r;
            double s02r = a0.Real + b2r, s02i = a0.Imaginary + b2i, d02r = a0.Real - b2r, d02i = a0.Imaginary - b2i;
            double s13r = b1r + b3r, s13i = b1i + b3i, d13r = b1r - b3r, d13i = b1i - b3i;
            // (-i)·d13 = (d13i, -d13r) forward; (+i)·d13 = (-d13i, d13r) inverse.
            double rr = sign * d13i, ri = -sign * d13r;
            y0[k] = new Complex(s02r + s13r, s02i + s13i);
            y1[k] = new Complex(d02r + rr, d02i + ri);
            y2[k] = new Complex(s02r - s13r, s02i - s13i);
            y3[k] = new Complex(d02r - rr, d02i - ri);
        }
    }

    private static void RadixOdd(ReadOnlySpan<Complex> input, Span<Complex> output, int inBase, int outBase, int r, int outStride,
        int p, ReadOnlySpan<Complex> w, ReadOnlySpan<Complex> small, Span<Complex> a)
    {
        for (int k = 0; k < r; k++)
        {
            a[0] = input[inBase + k];
            for (int s = 1; s < p; s++) a[s] = input[inBase + s * r + k] * w[s];
            for (int h = 0; h < p; h++)
            {
                double re = a[0].Real, im = a[0].Imaginary;
                for (int s = 1; s < p; s++)
                {
                    Complex c = small[s * p + h], v = a[s];
                    re += v.Real * c.Real - v.Imaginary * c.Imaginary;
                    im += v.Real * c.Imaginary + v.Imaginary * c.Real;
                }
                output[outBase + h * outStride + k] = new Complex(re, im);
            }
        }
    }

    /// <summary>Radix-4 stages first, one radix-2 if a factor 2 is left, then the odd primes ascending.</summary>
    private static int[] Factor(int n)
    {
        var radices = new List<int>();
        while (n % 4 == 0) { radices.Add(4); n /= 4; }
        if (n % 2 == 0) { radices.Add(2); n /= 2; }
        for (int p = 3; (long)p * p <= n; p += 2)
            while (n % p == 0) { radices.Add(p); n /= p; }
        if (n > 1) radices.Add(n);
        return [.. radices];
    }
}
