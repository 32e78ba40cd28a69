using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>The generated input images and the figure they were thresholded against.</summary>
/// <param name="Images">One row per image, value 1 on every set pixel.</param>
/// <param name="Maximum">MAX, the largest |y| of the whole resized mosaic (scale n/m per axis); pixels pass when |y| &gt; MAX/2.</param>
/// <param name="TotalNonZeros">Set pixels over all digits, also when <paramref name="Images"/> holds only a prefix.</param>
public sealed record ChallengeImages(ImageBatch Images, double Maximum, long TotalNonZeros);

/// <summary>
/// The official challenge input images, made exactly (challenge-spec.md, "The input images"): the
/// MNIST training digits side by side as one 28 x 28·D mosaic, resized by one 2-D Fourier (sinc)
/// interpolation to S x S·D (S = √N), and set where the modulus exceeds half the global maximum.
/// Image k, pixel (row r, column c) is feature r + S·c (0-based here).
/// </summary>
/// <remarks>
/// The horizontal pass runs over all digits at once, so even a prefix costs the whole set:
/// 28 forward transforms of length 28·D, then for each output row a 28-term combination of those
/// spectra (the vertical resize, exact as a small matrix) and one inverse transform of length S·D.
/// Everything is in double precision: the nearest samples sit about 1e-7 (relative) from the threshold.
/// Memory: the 28 spectra (0.75 GB for D = 60000), a group of up to 8 row buffers (at most 1 GB) per
/// thread, and the samples near or above the threshold as floats until the maximum is known; the few
/// whose float is too close to call are decided by recomputing their row exactly. For N = 65536 that
/// is about 7 GB at the peak with 2 threads, plus the result (3.1 GB of CSR).
/// </remarks>
public static class ChallengeImageGenerator
{
    private const int Side = 28;      // MNIST digits are 28 x 28
    private const int CombineBlock = 512; // complex values per block of the combination (28 blocks stay in L2)
    private const int MaxGroup = 8;       // output rows sharing one read of the spectra
    private const long MaxGroupBytes = 1L << 30; // and at most this much of row buffers per thread (4 rows of S=256)

    /// <summary>
    /// The images for <paramref name="neurons"/> (a square ≥ 784) made from <paramref name="digitPixels"/>: 28 x 28
    /// digits, image by image and row by row, grey values 0..255 (the MNIST training digits give the official
    /// images: the SpDnn.Data package's <c>OfficialImages.Generate</c>). Keeps the first <paramref name="count"/>.
    /// </summary>
    public static ChallengeImages Generate(ReadOnlySpan<byte> digitPixels, int neurons, int count, IProgress<double>? progress = null,
        int? maxDegreeOfParallelism = null, string? description = null)
    {
        if (digitPixels.Length == 0 || digitPixels.Length % (Side * Side) != 0)
            throw new ArgumentException($"{digitPixels.Length} bytes are not a whole number of 28 x 28 digits.", nameof(digitPixels));
        int digits = digitPixels.Length / (Side * Side);
        return FromDigits(digitPixels, digits, neurons, count, progress, maxDegreeOfParallelism,
            description ?? $"images N={neurons} from {digits} digits (Fourier resize)");
    }

    /// <summary>Set pixels of all 60000 official images, per size (the official files' line counts); null for other sizes.</summary>
    public static long? OfficialNonZeros(int neurons) => neurons switch
    {
        1024 => 6_374_505,
        4096 => 25_019_051,
        16384 => 98_858_913,
        65536 => 392_191_985,
        _ => null,
    };

    /// <summary>The side S = √N of the resized digits; N must be a perfect square with S ≥ 28.</summary>
    public static int SideFor(int neurons)
    {
        int s = (int)Math.Round(Math.Sqrt(neurons));
        if (s * s != neurons || s < Side)
            throw new ArgumentOutOfRangeException(nameof(neurons), neurons, "Images need N = S·S neurons with S ≥ 28 (the challenge sizes are 32², 64², 128², 256²).");
        return s;
    }

    /// <summary>
    /// The transform on any <paramref name="digits"/> 28 x 28 digits (image by image, row by row), keeping
    /// the first <paramref name="count"/> images. Exposed for tests on small mosaics.
    /// </summary>
    internal static ChallengeImages FromDigits(ReadOnlySpan<byte> pixels, int digits, int neurons, int count,
        IProgress<double>? progress, int? maxDegreeOfParallelism, string description)
    {
        int side = SideFor(neurons);
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, digits);
        if (pixels.Length != digits * Side * Side) throw new ArgumentException($"{pixels.Length} bytes for {digits} digits.", nameof(pixels));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount };
        int inLength = Side * digits, outLength = side * digits;
        // Work units for progress: 28 forward rows, S output rows.
        double units = Side + side, finished = 0;
        void Report() => progress?.Report(Volatile.Read(ref finished) / units);

        var spectra = ForwardRows(pixels.ToArray(), digits, parallel, () => { Add(ref finished, 1); Report(); });
        var vertical = VerticalResize(side);
        var inverse = new MixedRadixFft(outLength);
        double scale = 1.0 / inLength; // with the vertical 1/28 inside the matrix: n/m per axis, as numpy's resize

        // Pass 1: every output row once, in groups that share one read of the 28 spectra (the combination
        // is memory-bound); keep (as floats) the samples that may pass once MAX is known.
        var rows = new CandidateRow[side];
        double runningMax = 0;
        int workers = parallel.MaxDegreeOfParallelism > 0 ? parallel.MaxDegreeOfParallelism : Environment.ProcessorCount;
        var groups = RowGroups(side, workers, outLength);
        int groupSize = groups.Max(g => g.Length), nextGroup = -1;
        // One set of row buffers per worker, allocated once: memory stays at workers x (group + scratch) rows.
        Parallel.For(0, Math.Min(workers, groups.Length), parallel, _ =>
        {
            var buffers = Enumerable.Range(0, groupSize).Select(_ => new Complex[outLength]).ToArray();
            var scratch = new Complex[outLength];
            int gi;
            while ((gi = Interlocked.Increment(ref nextGroup)) < groups.Length)
            {
                var group = groups[gi];
                ComputeRows(group, spectra, vertical, inverse, buffers, scratch);
                for (int g = 0; g < group.Length; g++)
                {
                    double rowMax = Magnitudes(buffers[g], scale);
                    double max = RaiseMaximum(ref runningMax, rowMax);
                    var magnitude = MemoryMarshal.Cast<Complex, double>(buffers[g].AsSpan())[..outLength];
                    rows[group[g]] = CandidateRow.Collect(magnitude, max / 2 * (1 - 1e-6));
                    Add(ref finished, 1);
                    Report();
                }
            }
        });

        double maximum = runningMax, threshold = maximum / 2;
        // Pass 2: decide each candidate; a float within 2^-22 of the threshold is decided from its exact double.
        var passing = new ulong[side][];
        var undecided = new List<int>();
        for (int r = 0; r < side; r++)
        {
            passing[r] = new ulong[(outLength + 63) / 64];
            if (!rows[r].Decide(threshold, passing[r])) undecided.Add(r);
            rows[r] = default; // the candidates are no longer needed
        }
        Parallel.ForEach(undecided, parallel, r =>
        {
            var row = new Complex[outLength];
            ComputeRows([r], spectra, vertical, inverse, [row], new Complex[outLength]);
            Magnitudes(row, scale);
            var magnitude = MemoryMarshal.Cast<Complex, double>(row.AsSpan())[..outLength];
            Array.Clear(passing[r]);
            for (int j = 0; j < outLength; j++)
                if (magnitude[j] > threshold) passing[r][j >> 6] |= 1ul << j;
        });

        var (images, total) = ToImages(passing, side, digits, count, parallel, description);
        progress?.Report(1);
        return new ChallengeImages(images, maximum, total);
    }

    /// <summary>
    /// DFT of each of the 28 mosaic rows (length 28·D). The rows are real, so two go through one complex
    /// transform (z = a + i·b) and are separated by symmetry: A[f] = (Z[f] + conj Z[-f])/2,
    /// B[f] = (Z[f] - conj Z[-f])/(2i).
    /// </summary>
    private static Complex[][] ForwardRows(byte[] pixels, int digits, ParallelOptions parallel, Action done)
    {
        int length = Side * digits;
        var fft = new MixedRadixFft(length);
        var spectra = new Complex[Side][];
        Parallel.For(0, Side / 2, parallel, () => new Complex[length], (pair, _, scratch) =>
        {
            // Pinned: Combine reads the spectra through pointers.
            var a = GC.AllocateUninitializedArray<Complex>(length, pinned: true);
            var b = GC.AllocateUninitializedArray<Complex>(length, pinned: true);
            int rowA = 2 * pair, rowB = rowA + 1;
            for (int d = 0; d < digits; d++)
            {
                int fromA = d * Side * Side + rowA * Side, fromB = fromA + Side;
                for (int c = 0; c < Side; c++) a[d * Side + c] = new Complex(pixels[fromA + c], pixels[fromB + c]);
            }
            fft.Forward(a, scratch);
            for (int f = 0; f <= length / 2; f++)
            {
                int g = f == 0 ? 0 : length - f;
                Complex zf = a[f], zg = a[g];
                a[f] = new Complex((zf.Real + zg.Real) / 2, (zf.Imaginary - zg.Imaginary) / 2);
                b[f] = new Complex((zf.Imaginary + zg.Imaginary) / 2, (zg.Real - zf.Real) / 2);
                a[g] = new Complex((zg.Real + zf.Real) / 2, (zg.Imaginary - zf.Imaginary) / 2);
                b[g] = new Complex((zg.Imaginary + zf.Imaginary) / 2, (zf.Real - zg.Real) / 2);
            }
            spectra[rowA] = a;
            spectra[rowB] = b;
            done();
            done();
            return scratch;
        }, _ => { });
        return spectra;
    }

    /// <summary>
    /// The 28 → S resize of one column as an S x 28 matrix: forward DFT, the spectrum placed with
    /// bins 0..13 at 0..13 and 14..27 at S-14..S-1 (the Nyquist bin undivided), inverse DFT, scale S/28.
    /// </summary>
    internal static Complex[,] VerticalResize(int side)
    {
        var matrix = new Complex[side, Side];
        for (int r = 0; r < side; r++)
            for (int i = 0; i < Side; i++)
            {
                Complex sum = 0;
                for (int f = 0; f < Side; f++)
                {
                    int placed = f < Side / 2 ? f : side - Side + f;
                    // exp(-2πi f i / 28) · exp(+2πi placed r / S), angles reduced exactly first.
                    double angle = 2 * Math.PI * ((double)(placed * r % side) / side - (double)(f * i % Side) / Side);
                    sum += new Complex(Math.Cos(angle), Math.Sin(angle));
                }
                matrix[r, i] = sum / Side;
            }
        return matrix;
    }

    /// <summary>
    /// Output rows before the final scale: for each r of <paramref name="group"/>, the inverse DFT of
    /// Σ_i V[r,i]·spectrum_i placed in S·D bins (upper half shifted to the end, zeros between).
    /// </summary>
    private static unsafe void ComputeRows(int[] group, Complex[][] spectra, Complex[,] vertical, MixedRadixFft inverse, Complex[][] rows, Complex[] scratch)
    {
        int inLength = spectra[0].Length, outLength = rows[0].Length, half = inLength / 2, shift = outLength - inLength;
        var weights = new double[group.Length * 2 * Side];
        for (int g = 0; g < group.Length; g++)
            for (int i = 0; i < Side; i++)
            {
                weights[(g * Side + i) * 2] = vertical[group[g], i].Real;
                weights[(g * Side + i) * 2 + 1] = vertical[group[g], i].Imaginary;
            }
        var sources = new nint[Side];
        for (int i = 0; i < Side; i++) sources[i] = (nint)Unsafe.AsPointer(ref spectra[i][0]); // pinned arrays
        var handles = new GCHandle[group.Length];
        try
        {
            var targets = new nint[group.Length];
            for (int g = 0; g < group.Length; g++)
            {
                handles[g] = GCHandle.Alloc(rows[g], GCHandleType.Pinned);
                targets[g] = handles[g].AddrOfPinnedObject();
            }
            Combine(sources, weights, 0, half, targets, 0);
            Combine(sources, weights, half, inLength - half, targets, half + shift);
        }
        finally
        {
            foreach (var handle in handles) if (handle.IsAllocated) handle.Free();
        }
        for (int g = 0; g < group.Length; g++)
        {
            rows[g].AsSpan(half, shift).Clear();
            inverse.Inverse(rows[g], scratch);
        }
    }

    /// <summary>
    /// targets[g][to + f] = Σ_i w[g,i] · spectrum_i[from + f] for every row g of the group. The spectra are
    /// read in blocks shared by the whole group; for each row, 8 complex sums at a time live in registers.
    /// </summary>
    private static unsafe void Combine(nint[] sources, double[] weights, int from, int length, nint[] targets, int to)
    {
        // (a + bi)(wr + wi·i) = (a·wr - b·wi) + (b·wr + a·wi)·i: sum v·wr and v·wi separately over the 28
        // spectra (multiply-adds on interleaved pairs), then swap and sign the second sum once per output.
        var sign = Vector256.Create(-1.0, 1.0, -1.0, 1.0);
        fixed (double* w = weights)
        {
            for (int block = 0; block < length; block += CombineBlock)
            {
                int size = Math.Min(CombineBlock, length - block), vectorized = size & ~7;
                long offset = 2L * (from + block);
                for (int g = 0; g < targets.Length; g++)
                {
                    double* wg = w + g * 2 * Side;
                    double* target = (double*)targets[g] + 2L * (to + block);
                    for (int c = 0; c < vectorized; c += 8)
                    {
                        Vector256<double> r0 = default, r1 = default, r2 = default, r3 = default;
                        Vector256<double> i0 = default, i1 = default, i2 = default, i3 = default;
                        for (int i = 0; i < Side; i++)
                        {
                            double* v = (double*)sources[i] + offset + 2 * c;
                            var wr = Vector256.Create(wg[2 * i]);
                            var wi = Vector256.Create(wg[2 * i + 1]);
                            var v0 = Vector256.Load(v);
                            var v1 = Vector256.Load(v + 4);
                            var v2 = Vector256.Load(v + 8);
                            var v3 = Vector256.Load(v + 12);
                            r0 = Vector256.FusedMultiplyAdd(v0, wr, r0);
                            r1 = Vector256.FusedMultiplyAdd(v1, wr, r1);
                            r2 = Vector256.FusedMultiplyAdd(v2, wr, r2);
                            r3 = Vector256.FusedMultiplyAdd(v3, wr, r3);
                            i0 = Vector256.FusedMultiplyAdd(v0, wi, i0);
                            i1 = Vector256.FusedMultiplyAdd(v1, wi, i1);
                            i2 = Vector256.FusedMultiplyAdd(v2, wi, i2);
                            i3 = Vector256.FusedMultiplyAdd(v3, wi, i3);
                        }
                        double* y = target + 2 * c;
                        (r0 + Swap(i0) * sign).Store(y);
                        (r1 + Swap(i1) * sign).Store(y + 4);
                        (r2 + Swap(i2) * sign).Store(y + 8);
                        (r3 + Swap(i3) * sign).Store(y + 12);
                    }
                    for (int c = vectorized; c < size; c++)
                    {
                        double re = 0, im = 0;
                        for (int i = 0; i < Side; i++)
                        {
                            double* v = (double*)sources[i] + offset + 2 * c;
                            re += v[0] * wg[2 * i] - v[1] * wg[2 * i + 1];
                            im += v[1] * wg[2 * i] + v[0] * wg[2 * i + 1];
                        }
                        target[2 * c] = re;
                        target[2 * c + 1] = im;
                    }
                }
            }
        }
    }

    /// <summary>(a, b, c, d) → (b, a, d, c): swaps the parts of the two complex values in a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Swap(Vector256<double> v) => Vector256.Shuffle(v, Vector256.Create(1L, 0L, 3L, 2L));

    /// <summary>
    /// Output rows in groups, rows through the digits' middle first (the running maximum rises early and
    /// fewer candidates are kept); groups small enough to give every thread at least two.
    /// </summary>
    private static int[][] RowGroups(int side, int threads, int outLength)
    {
        var order = new int[side];
        for (int i = 0; i < side; i++) order[i] = side / 2 + (i % 2 == 0 ? i / 2 : -(i + 1) / 2);
        int byMemory = (int)Math.Max(1, MaxGroupBytes / (16L * outLength));
        int size = Math.Clamp(side / (2 * threads), 1, Math.Min(MaxGroup, byMemory));
        return order.Chunk(size).ToArray();
    }

    /// <summary>Overwrites the first half of the row's doubles with |y|·scale (in place) and returns their maximum.</summary>
    private static double Magnitudes(Complex[] row, double scale)
    {
        var values = MemoryMarshal.Cast<Complex, double>(row.AsSpan());
        double max = 0;
        for (int j = 0; j < row.Length; j++)
        {
            double re = values[2 * j], im = values[2 * j + 1];
            double m = Math.Sqrt(re * re + im * im) * scale;
            values[j] = m; // j ≤ 2j: the slot was already read
            if (m > max) max = m;
        }
        return max;
    }

    private static double RaiseMaximum(ref double target, double value)
    {
        double seen = Volatile.Read(ref target);
        while (value > seen)
        {
            double previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen) return value;
            seen = previous;
        }
        return seen;
    }

    private static void Add(ref double target, double value)
    {
        double seen = Volatile.Read(ref target);
        while (true)
        {
            double previous = Interlocked.CompareExchange(ref target, seen + value, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }

    /// <summary>Image k's features r + S·c, ascending (c outer, r inner), from the per-row bit masks.</summary>
    private static (ImageBatch Images, long Total) ToImages(ulong[][] passing, int side, int digits, int count, ParallelOptions parallel,
        string description)
    {
        var perImage = new int[digits];
        Parallel.For(0, digits, parallel, k =>
        {
            int n = 0;
            foreach (var row in passing)
                for (int c = 0; c < side; c++)
                {
                    long j = (long)k * side + c;
                    n += (int)((row[j >> 6] >> (int)(j & 63)) & 1);
                }
            perImage[k] = n;
        });
        long total = perImage.Sum(n => (long)n);
        var offsets = new int[count + 1];
        for (int k = 0; k < count; k++) offsets[k + 1] = checked(offsets[k] + perImage[k]);
        var columns = GC.AllocateUninitializedArray<int>(offsets[count]);
        var values = GC.AllocateUninitializedArray<float>(offsets[count]);
        values.AsSpan().Fill(1f);
        Parallel.For(0, count, parallel, k =>
        {
            int at = offsets[k];
            for (int c = 0; c < side; c++)
            {
                long j = (long)k * side + c;
                int word = (int)(j >> 6), bit = (int)(j & 63);
                for (int r = 0; r < side; r++)
                    if (((passing[r][word] >> bit) & 1) != 0) columns[at++] = r + side * c;
            }
        });
        var features = new CsrMatrix(count, side * side, offsets, columns, values);
        return (new ImageBatch(features, description), total);
    }

    /// <summary>The samples of one output row that may pass, as floats, until MAX is known.</summary>
    private readonly struct CandidateRow
    {
        private const double Margin = 1.0 / (1 << 22); // four times float's worst relative rounding, 2^-24

        private readonly int[] _positions;
        private readonly float[] _values;

        private CandidateRow(int[] positions, float[] values) { _positions = positions; _values = values; }

        public static CandidateRow Collect(ReadOnlySpan<double> magnitude, double floor)
        {
            int n = 0;
            foreach (double m in magnitude) if (m > floor) n++;
            var positions = new int[n];
            var values = new float[n];
            n = 0;
            for (int j = 0; j < magnitude.Length; j++)
            {
                if (magnitude[j] <= floor) continue;
                positions[n] = j;
                values[n++] = (float)magnitude[j];
            }
            return new CandidateRow(positions, values);
        }

        /// <summary>Sets the bits of the samples above <paramref name="threshold"/>; false when a float is too close to call.</summary>
        public bool Decide(double threshold, ulong[] bits)
        {
            double above = threshold * (1 + Margin), below = threshold * (1 - Margin);
            for (int i = 0; i < _positions.Length; i++)
            {
                double v = _values[i];
                if (v > above) bits[_positions[i] >> 6] |= 1ul << _positions[i];
                else if (v >= below) return false;
            }
            return true;
        }
    }
}
