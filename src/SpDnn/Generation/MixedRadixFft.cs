using System.Numerics;

namespace SpDnn.Generation;

/// <summary>
/// Complex double-precision FFT of one fixed length, any length: a self-sorting (Stockham)
/// mixed-radix transform with radix-4, 2, 3 and 5 butterflies and a direct small DFT for every
/// other prime factor (7 for the challenge's image lengths; a large prime factor works but
/// costs O(p) per point). Twiddles come from one table of exp(-2πi e/n), each entry computed
/// directly, so the error stays at a few ulps times log n. The plan is immutable and may be used
/// by several threads at once, each with its own scratch buffer.
/// </summary>
/// <remarks>
/// Managed libraries on the package feed (MathNet.Numerics 5, FftSharp) transform lengths that are
/// not powers of two by Bluestein's algorithm: a 15,360,000-point row of the N=65536 images would
/// become three radix-2 transforms of 2^25 points per call, where this transform makes 12 passes
/// over 15,360,000 points.
/// </remarks>
internal sealed class MixedRadixFft
{
    private static readonly double Sin2PiOver3 = Math.Sin(2 * Math.PI / 3);
    private static readonly double Sin2PiOver5 = Math.Sin(2 * Math.PI / 5);
    private static readonly double Sin4PiOver5 = Math.Sin(4 * Math.PI / 5);
    private static readonly double Cos2PiOver5 = Math.Cos(2 * Math.PI / 5);
    private static readonly double Cos4PiOver5 = Math.Cos(4 * Math.PI / 5);

    private readonly int[] _radices;
    private readonly Complex[] _roots; // _roots[e] = exp(-2πi e / n)

    public MixedRadixFft(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Length = length;
        _radices = Factor(length);
        _roots = new Complex[length];
        // Every entry evaluated directly (no recurrences), so each is within an ulp or two.
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
    private unsafe void Stage(ReadOnlySpan<Complex> input, Span<Complex> output, int done, int p, bool inverse)
    {
        int n = Length, r = n / (done * p);
        var stage = new StageShape(done, r, n / (done * p), inverse ? -1.0 : 1.0);
        fixed (Complex* source = input, target = output, roots = _roots)
        {
            switch (p)
            {
                case 2: Radix2(source, target, roots, stage); break;
                case 3: Radix3(source, target, roots, stage); break;
                case 4: Radix4(source, target, roots, stage); break;
                case 5: Radix5(source, target, roots, stage); break;
                default: RadixDirect(source, target, roots, stage, p, n); break;
            }
        }
    }

    /// <summary>
    /// Where a stage reads and writes: for g &lt; <see cref="Done"/> and k &lt; <see cref="Span"/>, input
    /// [g·p·r + s·r + k], output [g·r + h·Done·r + k], twiddle s = roots[s·g·RootStep] (conjugated by
    /// <see cref="Sign"/> = -1 for the inverse). s·g·RootStep &lt; n, so no reduction is needed.
    /// </summary>
    private readonly record struct StageShape(int Done, int Span, int RootStep, double Sign)
    {
        public int OutStride => Done * Span;
    }

    private static unsafe void Radix2(Complex* input, Complex* output, Complex* roots, StageShape st)
    {
        int r = st.Span, outStride = st.OutStride;
        for (int g = 0; g < st.Done; g++)
        {
            Complex w1 = roots[g * st.RootStep];
            double wr = w1.Real, wi = st.Sign * w1.Imaginary;
            Complex* x0 = input + g * 2 * r, x1 = x0 + r;
            Complex* y0 = output + g * r, y1 = y0 + outStride;
            for (int k = 0; k < r; k++)
            {
                Complex u = x0[k], v = x1[k];
                double vr = v.Real * wr - v.Imaginary * wi, vi = v.Real * wi + v.Imaginary * wr;
                y0[k] = new Complex(u.Real + vr, u.Imaginary + vi);
                y1[k] = new Complex(u.Real - vr, u.Imaginary - vi);
            }
        }
    }

    private static unsafe void Radix3(Complex* input, Complex* output, Complex* roots, StageShape st)
    {
        int r = st.Span, outStride = st.OutStride;
        // y1 = a0 - t/2 - i·u, y2 = a0 - t/2 + i·u with t = a1 + a2, u = ±sin(2π/3)·(a1 - a2).
        double sin = st.Sign * Sin2PiOver3;
        for (int g = 0; g < st.Done; g++)
        {
            Complex w1 = roots[g * st.RootStep], w2 = roots[2 * g * st.RootStep];
            double w1r = w1.Real, w1i = st.Sign * w1.Imaginary, w2r = w2.Real, w2i = st.Sign * w2.Imaginary;
            Complex* x0 = input + g * 3 * r, x1 = x0 + r, x2 = x1 + r;
            Complex* y0 = output + g * r, y1 = y0 + outStride, y2 = y1 + outStride;
            for (int k = 0; k < r; k++)
            {
                Complex a0 = x0[k], a1 = x1[k], a2 = x2[k];
                double b1r = a1.Real * w1r - a1.Imaginary * w1i, b1i = a1.Real * w1i + a1.Imaginary * w1r;
                double b2r = a2.Real * w2r - a2.Imaginary * w2i, b2i = a2.Real * w2i + a2.Imaginary * w2r;
                double tr = b1r + b2r, ti = b1i + b2i;
                double mr = a0.Real - 0.5 * tr, mi = a0.Imaginary - 0.5 * ti;
                double ur = sin * (b1r - b2r), ui = sin * (b1i - b2i);
                y0[k] = new Complex(a0.Real + tr, a0.Imaginary + ti);
                y1[k] = new Complex(mr + ui, mi - ur); // m - i·u
                y2[k] = new Complex(mr - ui, mi + ur); // m + i·u
            }
        }
    }

    private static unsafe void Radix4(Complex* input, Complex* output, Complex* roots, StageShape st)
    {
        int r = st.Span, outStride = st.OutStride;
        // W_4 = -i forward, +i inverse: multiplying by it swaps the parts and flips one sign.
        double sign = st.Sign;
        for (int g = 0; g < st.Done; g++)
        {
            Complex w1 = roots[g * st.RootStep], w2 = roots[2 * g * st.RootStep], w3 = roots[3 * g * st.RootStep];
            double w1r = w1.Real, w1i = sign * w1.Imaginary, w2r = w2.Real, w2i = sign * w2.Imaginary, w3r = w3.Real, w3i = sign * w3.Imaginary;
            Complex* x0 = input + g * 4 * r, x1 = x0 + r, x2 = x1 + r, x3 = x2 + r;
            Complex* y0 = output + g * r, y1 = y0 + outStride, y2 = y1 + outStride, y3 = y2 + outStride;
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
    }

    private static unsafe void Radix5(Complex* input, Complex* output, Complex* roots, StageShape st)
    {
        int r = st.Span, outStride = st.OutStride;
        double s1 = st.Sign * Sin2PiOver5, s2 = st.Sign * Sin4PiOver5;
        // With t1 = a1 + a4, t2 = a2 + a3, d1 = a1 - a4, d2 = a2 - a3:
        // y1,4 = a0 + c1 t1 + c2 t2 ∓ i(s1 d1 + s2 d2), y2,3 = a0 + c2 t1 + c1 t2 ∓ i(s2 d1 - s1 d2).
        for (int g = 0; g < st.Done; g++)
        {
            int e = g * st.RootStep;
            Complex w1 = roots[e], w2 = roots[2 * e], w3 = roots[3 * e], w4 = roots[4 * e];
            double w1r = w1.Real, w1i = st.Sign * w1.Imaginary, w2r = w2.Real, w2i = st.Sign * w2.Imaginary;
            double w3r = w3.Real, w3i = st.Sign * w3.Imaginary, w4r = w4.Real, w4i = st.Sign * w4.Imaginary;
            Complex* x0 = input + g * 5 * r, x1 = x0 + r, x2 = x1 + r, x3 = x2 + r, x4 = x3 + r;
            Complex* y0 = output + g * r, y1 = y0 + outStride, y2 = y1 + outStride, y3 = y2 + outStride, y4 = y3 + outStride;
            for (int k = 0; k < r; k++)
            {
                Complex a0 = x0[k], a1 = x1[k], a2 = x2[k], a3 = x3[k], a4 = x4[k];
                double b1r = a1.Real * w1r - a1.Imaginary * w1i, b1i = a1.Real * w1i + a1.Imaginary * w1r;
                double b2r = a2.Real * w2r - a2.Imaginary * w2i, b2i = a2.Real * w2i + a2.Imaginary * w2r;
                double b3r = a3.Real * w3r - a3.Imaginary * w3i, b3i = a3.Real * w3i + a3.Imaginary * w3r;
                double b4r = a4.Real * w4r - a4.Imaginary * w4i, b4i = a4.Real * w4i + a4.Imaginary * w4r;
                double t1r = b1r + b4r, t1i = b1i + b4i, d1r = b1r - b4r, d1i = b1i - b4i;
                double t2r = b2r + b3r, t2i = b2i + b3i, d2r = b2r - b3r, d2i = b2i - b3i;
                double m1r = a0.Real + Cos2PiOver5 * t1r + Cos4PiOver5 * t2r, m1i = a0.Imaginary + Cos2PiOver5 * t1i + Cos4PiOver5 * t2i;
                double m2r = a0.Real + Cos4PiOver5 * t1r + Cos2PiOver5 * t2r, m2i = a0.Imaginary + Cos4PiOver5 * t1i + Cos2PiOver5 * t2i;
                double u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i;
                double u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i;
                y0[k] = new Complex(a0.Real + t1r + t2r, a0.Imaginary + t1i + t2i);
                y1[k] = new Complex(m1r + u1i, m1i - u1r);
                y4[k] = new Complex(m1r - u1i, m1i + u1r);
                y2[k] = new Complex(m2r + u2i, m2i - u2r);
                y3[k] = new Complex(m2r - u2i, m2i + u2r);
            }
        }
    }

    /// <summary>Any radix p by its p x p DFT matrix: O(p) work per point, for the odd primes without a butterfly.</summary>
    private static unsafe void RadixDirect(Complex* input, Complex* output, Complex* roots, StageShape st, int p, int n)
    {
        int r = st.Span, outStride = st.OutStride;
        var matrix = new Complex[p * p];
        for (int s = 0; s < p; s++)
            for (int h = 0; h < p; h++)
            {
                Complex w = roots[(int)((long)s * h % p * (n / p))];
                matrix[s * p + h] = new Complex(w.Real, st.Sign * w.Imaginary);
            }
        var twiddle = new Complex[p];
        var a = new Complex[p];
        for (int g = 0; g < st.Done; g++)
        {
            for (int s = 0; s < p; s++)
            {
                Complex w = roots[s * g * st.RootStep];
                twiddle[s] = new Complex(w.Real, st.Sign * w.Imaginary);
            }
            Complex* x = input + g * p * r, y = output + g * r;
            for (int k = 0; k < r; k++)
            {
                a[0] = x[k];
                for (int s = 1; s < p; s++) a[s] = x[s * r + k] * twiddle[s];
                for (int h = 0; h < p; h++)
                {
                    double re = a[0].Real, im = a[0].Imaginary;
                    for (int s = 1; s < p; s++)
                    {
                        Complex c = matrix[s * p + h], v = a[s];
                        re += v.Real * c.Real - v.Imaginary * c.Imaginary;
                        im += v.Real * c.Imaginary + v.Imaginary * c.Real;
                    }
                    y[h * outStride + k] = new Complex(re, im);
                }
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
