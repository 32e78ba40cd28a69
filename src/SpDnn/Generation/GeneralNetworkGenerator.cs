using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>
/// The general family of issue 14: networks without the challenge's structure, the shape of a real
/// pruned network. In every layer each output neuron reads exactly 32 distinct inputs drawn
/// uniformly from 0..N-1, with weights uniform in (-0.65, 0.65) (float32, never zero, almost never
/// a power of two, so no engine gets exact products or outputs equal by construction), and every
/// neuron has bias -0.05 (the challenge semantics: added only where the sum is nonzero, then ReLU
/// and the cap at 32).
/// Layer k comes from its own MT19937 stream seeded with <see cref="StableSeed.Mix"/>(seed, k, tag),
/// so a layer is the same on every machine, in every .NET version, whichever layers were made
/// before it and from however many threads (MT19937 is specified bit for bit; the seeded
/// <see cref="Random"/> algorithm is only promised to stay, not specified).
/// </summary>
public sealed class GeneralNetworkGenerator : ILayerSource, IOutputListLayerSource
{
    /// <summary>Inputs read by every output neuron (the challenge's fan-in too, so TE/s compare).</summary>
    public const int InputsPerOutput = ChallengeSpec.ConnectionsPerNeuron;

    /// <summary>Weights lie strictly inside (-WeightBound, WeightBound).</summary>
    public const double WeightBound = 0.65;

    /// <summary>The bias of every neuron: small and negative, so some rows die as in the challenge, without killing the network.</summary>
    public const float NeuronBias = -0.05f;

    /// <summary>The seed of the benchmark's general networks.</summary>
    public const int DefaultSeed = 14;

    private const int StreamTag = 0x6e7e;

    // A weight is WeightBound · (2k + 1 - 2^24) / 2^24 for a 24-bit k: 2^24 equally likely odd
    // multiples, symmetric, none zero, rounded once to float32.
    private const int WeightBits = 24;
    private const double WeightStep = WeightBound / (1 << WeightBits);

    private readonly int _seed;

    /// <param name="neurons">N, at least <see cref="InputsPerOutput"/>.</param>
    public GeneralNetworkGenerator(int neurons, int layers, int seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(neurons, InputsPerOutput);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        Neurons = neurons;
        LayerCount = layers;
        _seed = seed;
    }

    /// <inheritdoc/>
    public int Neurons { get; }
    /// <inheritdoc/>
    public int LayerCount { get; }

    /// <summary>The layers follow from N, L and the seed (and this build of the generator, which plan caches key on too).</summary>
    internal UInt128 ContentChecksum => NetworkChecksum.OfText($"general network generator: N={Neurons}, L={LayerCount}, seed {_seed}");

    /// <inheritdoc/>
    public string Description =>
        $"general network N={Neurons}, L={LayerCount} (seed {_seed}: {InputsPerOutput} distinct random inputs per output, " +
        $"weights uniform in (-{WeightBound:R}, {WeightBound:R}), bias {NeuronBias:R})";

    /// <inheritdoc/>
    public NetworkLayer GetLayer(int index) => MakeLayer(index, keepByOutput: false);

    /// <summary>Every layer comes with its weights by output: as drawn (the arrays are not recycled).</summary>
    NetworkLayer IOutputListLayerSource.GetLayerWithOutputs(int index, NetworkLayer? recycled) => MakeLayer(index, keepByOutput: true);

    private NetworkLayer MakeLayer(int index, bool keepByOutput)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        var stream = new MersenneTwister19937((uint)StableSeed.Mix(_seed, index, StreamTag));
        // Drawn output by output (each output's inputs, ascending, then their weights), then
        // transposed into the layer's layout, whose rows are the inputs; the drawn order is kept
        // for planners that ask for it (NetworkLayer.ByOutput).
        var byOutput = DrawByOutput(stream);
        var layer = new NetworkLayer(index, byOutput.Transpose(), NetworkLayer.ConstantBias(Neurons, NeuronBias));
        return keepByOutput ? layer.WithByOutput(byOutput) : layer;
    }

    /// <summary>Row j: the inputs output j reads (ascending) and their weights.</summary>
    private CsrMatrix DrawByOutput(MersenneTwister19937 stream)
    {
        int n = Neurons, nnz = n * InputsPerOutput;
        var offsets = new int[n + 1];
        var inputs = GC.AllocateUninitializedArray<int>(nnz);
        var weights = GC.AllocateUninitializedArray<float>(nnz);
        var taken = new bool[n];
        for (int output = 0; output < n; output++)
        {
            int start = output * InputsPerOutput;
            offsets[output + 1] = start + InputsPerOutput;
            var picked = inputs.AsSpan(start, InputsPerOutput);
            for (int e = 0; e < picked.Length; e++)
            {
                int input;
                do input = UniformBelow(stream, (uint)n);
                while (taken[input]);
                taken[input] = true;
                picked[e] = input;
            }
            foreach (int input in picked) taken[input] = false;
            picked.Sort();
            var values = weights.AsSpan(start, InputsPerOutput);
            for (int e = 0; e < values.Length; e++) values[e] = Weight(stream.NextUInt32());
        }
        return new CsrMatrix(n, n, offsets, inputs, weights);
    }

    /// <summary>The weight of 32 random bits (the top 24 are used): never zero, |w| &lt; 0.65.</summary>
    internal static float Weight(uint bits)
    {
        long odd = 2L * (bits >> (32 - WeightBits)) + 1 - (1L << WeightBits);
        return (float)(odd * WeightStep);
    }

    /// <summary>Exactly uniform in [0, bound): Lemire's multiply-shift, rejecting the biased low products.</summary>
    private static int UniformBelow(MersenneTwister19937 stream, uint bound)
    {
        ulong product = (ulong)stream.NextUInt32() * bound;
        if ((uint)product < bound)
        {
            uint threshold = (0u - bound) % bound;
            while ((uint)product < threshold) product = (ulong)stream.NextUInt32() * bound;
        }
        return (int)(product >> 32);
    }
}
