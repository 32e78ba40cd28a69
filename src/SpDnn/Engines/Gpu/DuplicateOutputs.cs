using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Outputs whose activations are equal by construction: the same inputs with bit-equal weights
/// (so the same products summed in the same order) and a bit-equal bias. The kernel computes one
/// of them (the representative) and writes its activations to the others (its copies): exact
/// for any network, and a network without such outputs is planned as before. Kronecker-built
/// layers such as the challenge's have many (each base row expanded into 16 equal rows).
/// </summary>
internal static class DuplicateOutputs
{
    /// <summary>
    /// Copies written by one thread at most; a larger set of equal outputs is split into several
    /// representatives, so that no thread's epilogue holds up its group for long.
    /// </summary>
    public const int MaxCopies = 31;

    /// <summary>
    /// Compacts <paramref name="order"/> (every output, equal input lists adjacent, as
    /// <see cref="ClusteredOutputOrder.WriteClustered"/> leaves them) to its representatives, in
    /// their order; returns their count. Representative d's copies are
    /// copies[copyStarts[d] .. copyStarts[d + 1] - 1] (copyStarts has count + 1 entries).
    /// </summary>
    public static int Merge(OutputInputLists lists, float[] bias, Span<int> order, int[] copyStarts, int[] copies)
    {
        int n = order.Length, distinct = 0, copyCount = 0;
        var comparer = new EntriesThenBiasThenOutput(lists, bias);
        for (int start = 0; start < n;)
        {
            // A run of outputs with equal input lists; within it, equal weights and bias merge.
            int end = start + 1;
            while (end < n && SameInputs(lists, order[start], order[end])) end++;
            var run = order[start..end];
            if (!AllEqual(lists, bias, run)) run.Sort(comparer);
            for (int k = 0; k < run.Length;)
            {
                int representative = run[k], last = k + 1;
                while (last < run.Length && last - k <= MaxCopies && comparer.SameSums(representative, run[last])) last++;
                copyStarts[distinct] = copyCount;
                for (int c = k + 1; c < last; c++) copies[copyCount++] = run[c];
                order[distinct++] = representative;
                k = last;
            }
            start = end;
        }
        copyStarts[distinct] = copyCount;
        return distinct;
    }

    private static bool SameInputs(OutputInputLists lists, int x, int y)
    {
        var a = lists.Entries(x);
        var b = lists.Entries(y);
        if (a.Length != b.Length) return false;
        for (int k = 0; k < a.Length; k++)
            if (a[k].Input != b[k].Input) return false;
        return true;
    }

    /// <summary>Whether every output of the run has the first's weights and bias (the usual case: one sort avoided).</summary>
    private static bool AllEqual(OutputInputLists lists, float[] bias, ReadOnlySpan<int> run)
    {
        var comparer = new EntriesThenBiasThenOutput(lists, bias);
        for (int k = 1; k < run.Length; k++)
            if (!comparer.SameSums(run[0], run[k])) return false;
        return true;
    }

    /// <summary>Orders outputs by their entries' bits, then bias bits, then output, so that equal ones are adjacent and stay in output order.</summary>
    private readonly struct EntriesThenBiasThenOutput(OutputInputLists lists, float[] bias) : IComparer<int>
    {
        public bool SameSums(int x, int y) =>
            Bits(x).SequenceEqual(Bits(y)) && BitConverter.SingleToInt32Bits(bias[x]) == BitConverter.SingleToInt32Bits(bias[y]);

        public int Compare(int x, int y)
        {
            int c = Bits(x).SequenceCompareTo(Bits(y));
            if (c == 0) c = BitConverter.SingleToInt32Bits(bias[x]).CompareTo(BitConverter.SingleToInt32Bits(bias[y]));
            return c != 0 ? c : x.CompareTo(y);
        }

        private ReadOnlySpan<long> Bits(int output) => MemoryMarshal.Cast<OutputInputLists.Entry, long>(lists.Entries(output));
    }
}
