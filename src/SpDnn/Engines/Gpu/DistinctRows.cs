using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Where a layer's outputs are stored when outputs equal by construction share one feature row:
/// the same inputs with bit-equal weights in the same order and a bit-equal bias give bit-equal
/// activations for every image, so one row serves them all. Rows are the classes' first outputs
/// (<see cref="Representatives"/>, ascending); <see cref="RowOf"/> sends every output to its
/// class's row. Kronecker-built layers such as the challenge's have 16 outputs a class, so the
/// features they write and the next layer reads shrink 16-fold.
/// </summary>
/// <param name="RowOf">For each output of the layer, the feature row that holds it.</param>
/// <param name="Representatives">For each row, the output computed into it (the class's lowest).</param>
internal sealed record DistinctRows(int[] RowOf, int[] Representatives)
{
    /// <summary>Rows stored.</summary>
    public int Count => Representatives.Length;

    /// <summary>Outputs of the layer.</summary>
    public int Outputs => RowOf.Length;

    /// <summary>
    /// Storing distinct rows pays only where it removes at least half of them: the next layer's
    /// lists then read rows in no particular order, which costs the tiled layout some staging.
    /// </summary>
    public const int MinimumShrink = 2;

    /// <summary>
    /// The classes of equal outputs of a layer (<paramref name="lists"/>, each output's entries in
    /// the order its sum adds them, and <paramref name="bias"/>), or null where fewer than
    /// 1/<see cref="MinimumShrink"/> of the outputs would go.
    /// </summary>
    public static DistinctRows? Find(OutputInputLists lists, ReadOnlySpan<float> bias)
    {
        int n = lists.Count;
        if (n < MinimumShrink) return null;
        // Pooled: a layer of 65536 outputs would otherwise put 0.5 MB on the large-object heap.
        var nextClassBuffer = ArrayPool<int>.Shared.Rent(n);
        var representativeBuffer = ArrayPool<int>.Shared.Rent(n);
        try
        {
            return Classes(lists, bias, nextClassBuffer.AsSpan(0, n), representativeBuffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(nextClassBuffer);
            ArrayPool<int>.Shared.Return(representativeBuffer);
        }
    }

    /// <param name="nextClass">Scratch: for a representative, the next class's with the same hash (-1: none).</param>
    /// <param name="representativeOf">Scratch: each output's representative.</param>
    private static DistinctRows? Classes(OutputInputLists lists, ReadOnlySpan<float> bias, Span<int> nextClass, Span<int> representativeOf)
    {
        int n = lists.Count;
        // Outputs in order: each meets the classes seen with its hash (usually one, or none: a
        // new class, whose representative is then its lowest output).
        var firstOfHash = new Dictionary<ulong, int>();
        for (int j = 0; j < n; j++)
        {
            nextClass[j] = -1;
            representativeOf[j] = j;
            ulong hash = Hash(lists.Entries(j), bias[j]);
            if (!firstOfHash.TryGetValue(hash, out int c))
            {
                firstOfHash.Add(hash, j);
                continue;
            }
            while (true)
            {
                if (SameSums(lists, bias, c, j))
                {
                    representativeOf[j] = c;
                    break;
                }
                if (nextClass[c] < 0)
                {
                    nextClass[c] = j;
                    break;
                }
                c = nextClass[c];
            }
        }
        int count = 0;
        for (int j = 0; j < n; j++)
            if (representativeOf[j] == j) count++;
        if ((long)count * MinimumShrink > n) return null;
        var representatives = new int[count];
        var rowOf = new int[n];
        for (int j = 0, row = 0; j < n; j++)
        {
            // A class's representative is its lowest output: its row is set before its members'.
            if (representativeOf[j] == j)
            {
                representatives[row] = j;
                rowOf[j] = row++;
            }
            else rowOf[j] = rowOf[representativeOf[j]];
        }
        return new DistinctRows(rowOf, representatives);
    }

    private static bool SameSums(OutputInputLists lists, ReadOnlySpan<float> bias, int x, int y) =>
        BitConverter.SingleToInt32Bits(bias[x]) == BitConverter.SingleToInt32Bits(bias[y])
        && MemoryMarshal.Cast<OutputInputLists.Entry, long>(lists.Entries(x)).SequenceEqual(MemoryMarshal.Cast<OutputInputLists.Entry, long>(lists.Entries(y)));

    /// <summary>XxHash3 of the entries' bytes, seeded with the bias's bits (vectorised: a layer of 2 M entries in about a millisecond).</summary>
    private static ulong Hash(ReadOnlySpan<OutputInputLists.Entry> entries, float bias) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(entries), BitConverter.SingleToInt32Bits(bias));
}
