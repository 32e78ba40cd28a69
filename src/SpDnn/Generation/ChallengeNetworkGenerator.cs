using System.Runtime.Intrinsics;
using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>
/// The official Graph Challenge networks, made here exactly (challenge-spec.md, "How the challenge
/// networks are built"). With M = N/16 and S = log2(M), layer k (0-based) is stage j = k mod S of
/// a radix-2 RadiX-Net over M neurons (row n connects to columns m with (n - m) mod M in {0, 2^j},
/// in each of the 16 blocks of M), all weights 1/16, with its rows permuted by the permutation of
/// block b = k div S: row n of the stage becomes row p_b[n] (block 0 is not permuted). p_b is the
/// ascending argsort of N doubles of the one MT19937 stream (seed 5489) from which the four sizes
/// were drawn in turn. Layers are built on demand in O(one layer) memory and may be requested from
/// several threads at once; each permutation is computed once, when first needed.
/// </summary>
public sealed class ChallengeNetworkGenerator : ILayerSource, IRecyclingLayerSource, IOutputListLayerSource
{
    /// <summary>Layers of the largest official network of each size; later layers are an extension.</summary>
    public const int OfficialLayers = 1920;

    private const int Fan = ChallengeSpec.ConnectionsPerNeuron;

    private readonly int _blockSize; // M = N / 16
    private readonly int _stages;    // S = log2(M)
    private readonly float _bias;
    private readonly Lazy<int[]>[] _permutations;
    private readonly List<MersenneTwister19937> _blockStarts = []; // stream at the start of block 1, 2, ...
    private readonly Lock _streamLock = new();

    /// <param name="neurons">1024, 4096, 16384 or 65536.</param>
    /// <param name="layers">Any positive count; beyond 1920 the permutations keep drawing from the stream
    /// (not part of the challenge: those doubles belong to the next size's official networks).</param>
    /// <param name="bias">The constant bias; the challenge's value for the size when omitted.</param>
    public ChallengeNetworkGenerator(int neurons, int layers = OfficialLayers, float? bias = null)
    {
        _ = StreamStart(neurons); // validates the size
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        Neurons = neurons;
        LayerCount = layers;
        _blockSize = neurons / 16;
        _stages = StagesPerBlock(neurons);
        _bias = bias ?? ChallengeSpec.Bias(neurons);
        int blocks = (layers + _stages - 1) / _stages;
        _permutations = new Lazy<int[]>[blocks];
        for (int b = 1; b < blocks; b++)
        {
            int block = b;
            _permutations[b] = new Lazy<int[]>(() => ComputePermutation(block), LazyThreadSafetyMode.ExecutionAndPublication);
        }
    }

    /// <inheritdoc/>
    public int Neurons { get; }
    /// <inheritdoc/>
    public int LayerCount { get; }
    /// <summary>The bias of every neuron: the challenge's for N unless the constructor was given one.</summary>
    public float Bias => _bias;

    /// <summary>The layers follow from N, L and the bias (and this build of the generator, which plan caches key on too).</summary>
    internal UInt128 ContentChecksum =>
        NetworkChecksum.OfText($"challenge network generator: N={Neurons}, L={LayerCount}, bias bits {BitConverter.SingleToInt32Bits(_bias)}");

    /// <inheritdoc/>
    public string Description =>
        $"challenge network N={Neurons}, L={LayerCount} (RadiX-Net, MT19937 seed 5489 permutations, bias {_bias:R})" +
        (LayerCount > OfficialLayers
            ? $"; layers {OfficialLayers + 1}..{LayerCount} are not part of the challenge: they keep drawing from the same stream"
            : "");

    /// <summary>S = log2(N/16): layers per permutation block (6, 8, 10, 12 for the four sizes).</summary>
    public static int StagesPerBlock(int neurons) => int.Log2(neurons / 16);

    /// <summary>0-based index in the MT19937 res53 stream of the first double of size <paramref name="neurons"/>.</summary>
    public static long StreamStart(int neurons)
    {
        // The sizes were drawn one after the other, each taking (1920 / S - 1) permutations of N doubles.
        long start = 0;
        foreach (int n in ChallengeSpec.NeuronCounts)
        {
            if (n == neurons) return start;
            start += (long)(OfficialLayers / StagesPerBlock(n) - 1) * n;
        }
        throw new ArgumentOutOfRangeException(nameof(neurons), neurons, "Challenge networks exist for 1024, 4096, 16384 and 65536 neurons.");
    }

    /// <summary>
    /// p_b for block <paramref name="block"/> ≥ 1: p_b[n] is the index of the n-th smallest of the block's
    /// N doubles (ties, which res53 makes practically impossible, keep index order as a stable sort would).
    /// The array is shared: do not modify it.
    /// </summary>
    public int[] Permutation(int block)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, _permutations.Length);
        return _permutations[block].Value;
    }

    /// <inheritdoc/>
    public NetworkLayer GetLayer(int index) => GetLayer(index, recycled: null);

    /// <summary><see cref="GetLayer(int)"/> into the arrays of an earlier layer's weights (all layers have the same lengths).</summary>
    NetworkLayer IRecyclingLayerSource.GetLayer(int index, CsrMatrix? recycled) => GetLayer(index, recycled);

    /// <summary>
    /// The layer with its weights by output too, made from the structure (no transpose): every
    /// output of a column class u (outputs u, M + u, ..., 15M + u) reads the same 32 inputs.
    /// </summary>
    NetworkLayer IOutputListLayerSource.GetLayerWithOutputs(int index, NetworkLayer? recycled)
    {
        var layer = GetLayer(index, recycled?.Weights);
        int[]? permutation = index < _stages ? null : Permutation(index / _stages);
        return layer.WithByOutput(BuildByOutput(index % _stages, permutation, recycled?.ByOutput));
    }

    private NetworkLayer GetLayer(int index, CsrMatrix? recycled)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        int block = index / _stages, stage = index % _stages;
        int[]? permutation = block == 0 ? null : Permutation(block);
        return new NetworkLayer(index, BuildWeights(stage, permutation, recycled), NetworkLayer.ConstantBias(Neurons, _bias));
    }

    /// <summary>Arrays of <paramref name="recycled"/> where their lengths fit a layer's, else fresh ones (not cleared: every entry is written).</summary>
    private (int[] Offsets, int[] Columns, float[] Values) LayerArrays(CsrMatrix? recycled)
    {
        int n = Neurons, nnz = n * Fan;
        return (recycled?.RowOffsets.Length == n + 1 ? recycled.RowOffsets : GC.AllocateUninitializedArray<int>(n + 1),
            recycled?.ColumnIndices.Length == nnz ? recycled.ColumnIndices : GC.AllocateUninitializedArray<int>(nnz),
            recycled?.Values.Length == nnz ? recycled.Values : GC.AllocateUninitializedArray<float>(nnz));
    }

    /// <summary>
    /// The layer by output: output g·M + u reads, from every one of the 16 groups h of sources,
    /// the sources h·M + u and h·M + ((u + 2^j) mod M) (the rows that <see cref="BuildWeights"/>
    /// gives columns u and u - 2^j), permuted, ascending. Each class c of sources (h·M + c) is
    /// permuted and sorted once, and serves two column classes (u = c and u = c - 2^j): a merge each.
    /// </summary>
    private CsrMatrix BuildByOutput(int stage, int[]? permutation, CsrMatrix? recycled)
    {
        int n = Neurons, m = _blockSize, mask = m - 1, shift = 1 << stage, groups = n / m;
        var (offsets, columns, values) = LayerArrays(recycled);
        for (int r = 0; r <= n; r++) offsets[r] = r * Fan;
        values.AsSpan().Fill(ChallengeSpec.Weight);
        var classBuffer = System.Buffers.ArrayPool<int>.Shared.Rent(n);
        try
        {
            var classes = classBuffer.AsSpan(0, n); // class c: [c·16, c·16 + 16)
            for (int c = 0; c < m; c++)
            {
                var members = classes.Slice(c * groups, groups);
                for (int h = 0; h < groups; h++) members[h] = permutation is null ? h * m + c : permutation[h * m + c];
                members.Sort();
            }
            Span<int> inputs = stackalloc int[Fan];
            for (int u = 0; u < m; u++)
            {
                Merge(classes.Slice(u * groups, groups), classes.Slice(((u + shift) & mask) * groups, groups), inputs);
                for (int g = 0; g < groups; g++) inputs.CopyTo(columns.AsSpan((g * m + u) * Fan, Fan));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(classBuffer);
        }
        return new CsrMatrix(n, n, offsets, columns, values);
    }

    /// <summary>Two ascending lists of distinct values, merged into <paramref name="merged"/> (their total length).</summary>
    private static void Merge(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> merged)
    {
        int i = 0, j = 0, k = 0;
        while (i < a.Length && j < b.Length) merged[k++] = a[i] < b[j] ? a[i++] : b[j++];
        a[i..].CopyTo(merged[k..]);
        b[j..].CopyTo(merged[(k + a.Length - i)..]);
    }

    private CsrMatrix BuildWeights(int stage, int[]? permutation, CsrMatrix? recycled)
    {
        int n = Neurons, m = _blockSize, mask = m - 1, shift = 1 << stage;
        var (offsets, columns, values) = LayerArrays(recycled);
        for (int r = 0; r <= n; r++) offsets[r] = r * Fan;
        values.AsSpan().Fill(ChallengeSpec.Weight);

        // Row n of the stage has, in every one of the 16 groups of M columns, the two columns n mod M and
        // (n - 2^j) mod M; written ascending, group by group, as 4 vectors of {lo, hi} pairs plus group bases.
        Span<Vector256<int>> groupBase = stackalloc Vector256<int>[Fan / 8];
        for (int v = 0; v < groupBase.Length; v++)
        {
            int g = 4 * v;
            groupBase[v] = Vector256.Create(g * m, g * m, (g + 1) * m, (g + 1) * m, (g + 2) * m, (g + 2) * m, (g + 3) * m, (g + 3) * m);
        }
        var columnSpan = columns.AsSpan();
        for (int source = 0; source < n; source++)
        {
            int a = source & mask, c = (source - shift) & mask;
            int lo = Math.Min(a, c), hi = Math.Max(a, c);
            var pair = Vector256.Create(lo, hi, lo, hi, lo, hi, lo, hi);
            int row = permutation is null ? source : permutation[source];
            var target = columnSpan.Slice(row * Fan, Fan);
            for (int v = 0; v < groupBase.Length; v++)
                (groupBase[v] + pair).CopyTo(target.Slice(8 * v, 8));
        }
        return new CsrMatrix(n, n, offsets, columns, values);
    }

    private int[] ComputePermutation(int block)
    {
        MersenneTwister19937 stream;
        lock (_streamLock)
        {
            // Walk the stream once, remembering where each block starts, so later blocks cost no re-draw.
            if (_blockStarts.Count == 0)
            {
                var first = new MersenneTwister19937();
                first.SkipDoubles(StreamStart(Neurons));
                _blockStarts.Add(first);
            }
            while (_blockStarts.Count < block)
            {
                var next = _blockStarts[^1].Clone();
                next.SkipDoubles(Neurons);
                _blockStarts.Add(next);
            }
            stream = _blockStarts[block - 1].Clone();
        }
        var keys = new ulong[Neurons];
        for (int i = 0; i < keys.Length; i++) keys[i] = stream.NextRes53Integer();
        return Argsort(keys);
    }

    /// <summary>The indices that sort <paramref name="keys"/> ascending, equal keys in index order (stable). Sorts the keys.</summary>
    internal static int[] Argsort(ulong[] keys)
    {
        var order = new int[keys.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        for (int i = 1; i < keys.Length; i++)
        {
            if (keys[i] != keys[i - 1]) continue;
            int start = i - 1, end = i + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            Array.Sort(order, start, end - start);
            i = end - 1;
        }
        return order;
    }
}
