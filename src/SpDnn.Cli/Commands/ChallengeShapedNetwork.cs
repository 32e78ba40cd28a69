using SpDnn.Model;

namespace SpDnn.Cli.Commands;

/// <summary>
/// A network shaped like the challenge's (radix-2 RadiX-Net over N/16 neurons, Kronecker-expanded
/// by 16 x 16 ones, rows permuted per block of log2(N/16) layers, weights 1/16, the challenge bias)
/// but with permutations from System.Random: for timing and checking kernels before the exact
/// generator is at hand. Not the official data.
/// </summary>
internal sealed class ChallengeShapedNetwork : ILayerSource
{
    private readonly int _seed;

    public ChallengeShapedNetwork(int neurons, int layers, int seed = 1)
    {
        if (neurons < 32 || neurons % 16 != 0 || !int.IsPow2(neurons / 16))
            throw new SpDnnUsageException($"{neurons} neurons: need 16 times a power of two, at least 32.");
        Neurons = neurons;
        LayerCount = layers;
        _seed = seed;
    }

    public int Neurons { get; }
    public int LayerCount { get; }
    public string Description => $"challenge-shaped network (N={Neurons}, L={LayerCount}, seed {_seed}; not official data)";

    public NetworkLayer GetLayer(int index)
    {
        int n = Neurons, m = n / 16, stages = int.Log2(m);
        int block = index / stages, stage = index % stages, d = 1 << stage;
        var permutation = new int[n];
        for (int i = 0; i < n; i++) permutation[i] = i;
        if (block > 0) new Random(SpDnn.Generation.StableSeed.Mix(_seed, block)).Shuffle(permutation);
        var rows = new int[n * 32];
        var cols = new int[n * 32];
        var vals = new float[n * 32];
        int e = 0;
        for (int r = 0; r < n; r++)
        {
            int source = r % m;
            foreach (int target in (ReadOnlySpan<int>)[source, (source - d + m) % m])
            {
                for (int copy = 0; copy < 16; copy++)
                {
                    rows[e] = permutation[r];
                    cols[e] = copy * m + target;
                    vals[e++] = ChallengeSpec.Weight;
                }
            }
        }
        var weights = CsrMatrix.FromCoordinates(n, n, rows, cols, vals);
        return new NetworkLayer(index, weights, NetworkLayer.ConstantBias(n, ChallengeSpec.Bias(n)));
    }
}
