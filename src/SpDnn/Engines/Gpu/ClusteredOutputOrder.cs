using System.Buffers;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Outputs in block order, clustered: sorted by their input lists (lexicographically, then by
/// output), so outputs with equal or similar lists share a block; then each block ascending, so
/// neighbouring threads write neighbouring outputs where they can.
/// </summary>
internal static class ClusteredOutputOrder
{
    /// <summary>Writes the order of all <paramref name="lists"/>.Count outputs into <paramref name="order"/>.</summary>
    public static void Write(OutputInputLists lists, Span<int> order)
    {
        int n = lists.Count;
        order = order[..n];
        var rented = ArrayPool<ulong>.Shared.Rent(n);
        try
        {
            // A key per output orders by the first two inputs at the cost of one integer sort; only
            // outputs whose keys tie (equal first two inputs) compare their whole lists.
            var keys = rented.AsSpan(0, n);
            for (int j = 0; j < n; j++)
            {
                order[j] = j;
                keys[j] = LeadingPair(lists.Inputs(j));
            }
            keys.Sort(order);
            for (int start = 0, end; start < n; start = end)
            {
                for (end = start + 1; end < n && keys[end] == keys[start]; end++) { }
                if (end - start > 1) SortTies(lists, order[start..end]);
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
        for (int start = 0; start < n; start += TiledLayout.BlockRows)
            order.Slice(start, Math.Min(TiledLayout.BlockRows, n - start)).Sort();
    }

    /// <summary>
    /// The first two inputs, each plus one (0: none), high one first: keys order as the lists'
    /// first two entries do, a list that ends first (a prefix) coming first.
    /// </summary>
    private static ulong LeadingPair(ReadOnlySpan<int> inputs)
    {
        ulong first = inputs.Length > 0 ? (uint)inputs[0] + 1UL : 0;
        ulong second = inputs.Length > 1 ? (uint)inputs[1] + 1UL : 0;
        return first << 32 | second;
    }

    /// <summary>Orders outputs whose first two inputs are equal: by the rest of their lists, then by output.</summary>
    private static void SortTies(OutputInputLists lists, Span<int> run)
    {
        // By output first: then equal lists (in challenge layers 16 outputs read the same inputs)
        // are already in order, and a stable insertion sort compares each output once.
        run.Sort();
        if (run.Length > InsertionSortLimit)
        {
            run.Sort(new TailThenOutput(lists));
            return;
        }
        for (int k = 1; k < run.Length; k++)
        {
            int output = run[k], at = k;
            for (; at > 0 && CompareTails(lists, run[at - 1], output) > 0; at--) run[at] = run[at - 1];
            run[at] = output;
        }
    }

    /// <summary>Longer runs of ties sort in O(n log n) (a dense layer ties every output).</summary>
    private const int InsertionSortLimit = 64;

    /// <summary>Compares two input lists from their third entry on, lexicographically (a prefix first).</summary>
    private static int CompareTails(OutputInputLists lists, int x, int y)
    {
        var a = lists.Inputs(x);
        var b = lists.Inputs(y);
        a = a[Math.Min(2, a.Length)..];
        b = b[Math.Min(2, b.Length)..];
        int common = a.CommonPrefixLength(b); // vectorised, unlike SequenceCompareTo for int
        return common < a.Length && common < b.Length ? a[common].CompareTo(b[common]) : a.Length.CompareTo(b.Length);
    }

    private readonly struct TailThenOutput(OutputInputLists lists) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            int c = CompareTails(lists, x, y);
            return c != 0 ? c : x.CompareTo(y);
        }
    }
}
