using System.IO.Hashing;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// A layer's outputs grouped into sets that are equal by construction: the same inputs with
/// bit-equal weights (the same products summed in the same order) and a bit-equal bias. The CPU
/// engine computes one output per set (distinct output d, the set's smallest output) and writes
/// its value to every output of the set: exact for any network. Kronecker-built layers such as
/// the challenge's have sets of 16.
/// </summary>
internal sealed class OutputCopies
{
    private OutputCopies(int[] representatives, int[] starts, int[] outputs)
    {
        Representatives = representatives;
        Starts = starts;
        Outputs = outputs;
    }

    /// <summary>Distinct outputs computed.</summary>
    public int Distinct => Representatives.Length;

    /// <summary>The layer output each distinct output is computed as, ascending.</summary>
    public int[] Representatives { get; }

    /// <summary>Distinct output d stands for outputs Outputs[Starts[d] .. Starts[d+1]-1] (ascending).</summary>
    public int[] Starts { get; }

    /// <summary>Every output of the layer, grouped by the distinct output it equals.</summary>
    public int[] Outputs { get; }

    /// <summary>The sets of <paramref name="columns"/> (row j: the inputs and weights of output j); null when every output is distinct.</summary>
    internal static OutputCopies? Find(CsrMatrix columns, float[] bias)
    {
        int n = columns.Rows;
        var hashes = new ulong[n];
        var order = new int[n];
        for (int j = 0; j < n; j++)
        {
            var hash = new XxHash3();
            hash.Append(MemoryMarshal.AsBytes(columns.RowIndices(j)));
            hash.Append(MemoryMarshal.AsBytes(columns.RowValues(j)));
            hash.Append(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(in bias[j])));
            hashes[j] = hash.GetCurrentHashAsUInt64();
            order[j] = j;
        }
        // By hash, then by output: equal outputs end up in runs, each ascending.
        Array.Sort(hashes, order);
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && hashes[end] == hashes[start]) end++;
            order.AsSpan(start, end - start).Sort();
            start = end;
        }

        var setOf = new int[n];
        var representatives = new List<int>();
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && hashes[end] == hashes[start]) end++;
            int firstSetOfRun = representatives.Count;
            for (int k = start; k < end; k++)
            {
                int j = order[k], set = -1;
                // A hash collision of unequal outputs is possible: compare with each set of the run.
                for (int s = firstSetOfRun; s < representatives.Count && set < 0; s++)
                    if (Equal(columns, bias, representatives[s], j)) set = s;
                if (set < 0)
                {
                    set = representatives.Count;
                    representatives.Add(j);
                }
                setOf[j] = set;
            }
            start = end;
        }
        if (representatives.Count == n) return null;

        // Distinct outputs numbered by their representative, ascending.
        var byRepresentative = Enumerable.Range(0, representatives.Count).ToArray();
        var reps = representatives.ToArray();
        Array.Sort(reps, byRepresentative);
        var rank = new int[reps.Length];
        for (int d = 0; d < reps.Length; d++) rank[byRepresentative[d]] = d;
        var starts = new int[reps.Length + 1];
        for (int j = 0; j < n; j++) starts[rank[setOf[j]] + 1]++;
        for (int d = 0; d < reps.Length; d++) starts[d + 1] += starts[d];
        var outputs = new int[n];
        var fill = starts[..^1].ToArray();
        for (int j = 0; j < n; j++) outputs[fill[rank[setOf[j]]]++] = j;
        return new OutputCopies(reps, starts, outputs);
    }

    private static bool Equal(CsrMatrix columns, float[] bias, int x, int y) =>
        columns.RowIndices(x).SequenceEqual(columns.RowIndices(y))
        && MemoryMarshal.Cast<float, int>(columns.RowValues(x)).SequenceEqual(MemoryMarshal.Cast<float, int>(columns.RowValues(y)))
        && BitConverter.SingleToInt32Bits(bias[x]) == BitConverter.SingleToInt32Bits(bias[y]);
}
