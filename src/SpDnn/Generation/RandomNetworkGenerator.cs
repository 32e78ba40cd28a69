using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>Shape of a random general network, for property tests of engines.</summary>
public sealed record RandomNetworkOptions
{
    /// <summary>Width N of every layer (square layers).</summary>
    public int Neurons { get; init; } = 256;
    /// <summary>Number of layers.</summary>
    public int Layers { get; init; } = 12;
    /// <summary>Mean nonzeros per weight row; each row draws 0 .. 2·mean, so some rows are empty.</summary>
    public int MeanRowNonZeros { get; init; } = 16;
    /// <summary>Fraction of rows forced empty.</summary>
    public double EmptyRowFraction { get; init; } = 0.05;
    /// <summary>Weights are drawn from [MinWeight, MaxWeight]; both signs by default, so sums cancel and rows die.</summary>
    public float MinWeight { get; init; } = -0.25f;
    /// <summary>See <see cref="MinWeight"/>.</summary>
    public float MaxWeight { get; init; } = 0.5f;
    /// <summary>Per-neuron biases are drawn from [MinBias, MaxBias] (both signs by default).</summary>
    public float MinBias { get; init; } = -0.3f;
    /// <summary>See <see cref="MinBias"/>.</summary>
    public float MaxBias { get; init; } = 0.2f;
    /// <summary>
    /// Round weights to multiples of 1/2 and biases to multiples of 1/16. With inputs that are
    /// multiples of 1/16, |w| ≤ 1 and at most 10 layers, every partial sum is exact in float32,
    /// so every summation order gives the same bits and engines can be compared bit for bit.
    /// </summary>
    public bool DyadicValues { get; init; }
}

/// <summary>
/// Random general networks and images: any weights, uneven nnz per row (empty rows too),
/// positive and negative per-neuron biases; deterministic for a seed, layer by layer.
/// </summary>
public sealed class RandomNetworkGenerator : ILayerSource
{
    private readonly RandomNetworkOptions _options;
    private readonly int _seed;

    /// <summary>The same <paramref name="seed"/> and options give the same network (seeded <see cref="Random"/>: stable within a .NET version, not promised across them).</summary>
    public RandomNetworkGenerator(int seed, RandomNetworkOptions? options = null)
    {
        _options = options ?? new RandomNetworkOptions();
        _seed = seed;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Neurons, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Layers, 1);
    }

    /// <inheritdoc/>
    public int Neurons => _options.Neurons;
    /// <inheritdoc/>
    public int LayerCount => _options.Layers;
    /// <inheritdoc/>
    public string Description => $"random network (seed {_seed}, N={Neurons}, L={LayerCount})";

    /// <inheritdoc/>
    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var rng = new Random(StableSeed.Mix(_seed, index, 0x5eed));
        int n = Neurons;
        var offsets = new int[n + 1];
        var cols = new List<int>(n * _options.MeanRowNonZeros);
        var vals = new List<float>(n * _options.MeanRowNonZeros);
        var pick = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            int count = rng.NextDouble() < _options.EmptyRowFraction ? 0 : rng.Next(0, Math.Min(n, 2 * _options.MeanRowNonZeros) + 1);
            pick.Clear();
            while (pick.Count < count) pick.Add(rng.Next(n));
            foreach (int j in pick.Order())
            {
                cols.Add(j);
                vals.Add(Draw(rng, _options.MinWeight, _options.MaxWeight, nonZero: true, step: 0.5f));
            }
            offsets[i + 1] = cols.Count;
        }
        var bias = new float[n];
        for (int j = 0; j < n; j++) bias[j] = Draw(rng, _options.MinBias, _options.MaxBias, nonZero: false, step: 1f / 16f);
        return new NetworkLayer(index, new CsrMatrix(n, n, offsets, [.. cols], [.. vals]), bias);
    }

    private float Draw(Random rng, float min, float max, bool nonZero, float step)
    {
        while (true)
        {
            float v = (float)(min + (max - min) * rng.NextDouble());
            if (_options.DyadicValues) v = MathF.Round(v / step) * step;
            if (!nonZero || v != 0f) return v;
        }
    }

    /// <summary>Random images: each pixel set with probability <paramref name="density"/>, values in (0, maxValue].</summary>
    public static ImageBatch RandomImages(int seed, int count, int neurons, double density = 0.1, float maxValue = 1f, bool binary = true)
    {
        var rng = new Random(StableSeed.Mix(seed, count, neurons, 0x1a6e));
        var offsets = new int[count + 1];
        var cols = new List<int>();
        var vals = new List<float>();
        for (int r = 0; r < count; r++)
        {
            for (int j = 0; j < neurons; j++)
            {
                if (rng.NextDouble() >= density) continue;
                cols.Add(j);
                vals.Add(binary ? maxValue : MathF.Max(1f / 16f, MathF.Round((float)rng.NextDouble() * maxValue * 16f) / 16f));
            }
            offsets[r + 1] = cols.Count;
        }
        return new ImageBatch(new CsrMatrix(count, neurons, offsets, [.. cols], [.. vals]), $"random images (seed {seed})");
    }
}
