using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Outputs clustered: sorted by their input lists (lexicographically, then by output), so that
/// outputs with equal or similar lists share a block (the planner then sorts each block
/// ascending, so neighbouring threads write neighbouring outputs where they can).
/// </summary>
internal static class ClusteredOutputOrder
{
    /// <summary>Groups up to this size are sorted by insertion; larger ones (a dense layer puts every output in one) in O(n log n).</summary>
    private const int InsertionSortLimit = 64;

    /// <summary>
    /// Writes the order of all outputs of <paramref name="lists"/>, grouped by first input, into
    /// <paramref name="order"/>; outputs with equal input lists end up adjacent, ascending.
    /// </summary>
    public static void WriteClustered(OutputInputLists lists, Span<int> order)
    {
        int n = lists.Count;
        order = order[..n];
        // The lists' rows are already by first input (group 0: empty lists, which come first),
        // then by output: only a group's rows still compare their lists, from the second input on.
        for (int row = 0; row < n; row++) order[row] = row;
        var groupStarts = lists.GroupStarts;
        // Group 0 holds the empty lists: equal, so already in order.
        for (int group = 1; group < groupStarts.Length - 1; group++)
        {
            int start = groupStarts[group], end = groupStarts[group + 1];
            if (end - start > 1) SortGroup(lists, order[start..end]);
        }
        for (int k = 0; k < n; k++) order[k] = lists.OutputAt(order[k]);
    }

    /// <summary>
    /// Orders the rows of one group, given ascending (so by output): by the rest of their lists,
    /// then by row.
    /// </summary>
    private static void SortGroup(OutputInputLists lists, Span<int> rows)
    {
        if (rows.Length > InsertionSortLimit)
        {
            rows.Sort(new TailThenRow(lists));
            return;
        }
        // Stable: equal lists (in challenge layers 16 outputs read the same inputs) stay in
        // order, comparing once each.
        for (int k = 1; k < rows.Length; k++)
        {
            int row = rows[k], at = k;
            for (; at > 0 && CompareTails(lists, rows[at - 1], row) > 0; at--) rows[at] = rows[at - 1];
            rows[at] = row;
        }
    }

    /// <summary>Compares the input lists of two nonempty rows from their second entry on, lexicographically (a prefix first).</summary>
    private static int CompareTails(OutputInputLists lists, int x, int y)
    {
        var a = lists.EntriesAtRow(x)[1..];
        var b = lists.EntriesAtRow(y)[1..];
        // Entries equal as a whole have equal inputs: skip them with a vectorised search (equal
        // lists, the common case, usually have equal weights too), then compare inputs one by one.
        int k = MemoryMarshal.Cast<OutputInputLists.Entry, long>(a).CommonPrefixLength(MemoryMarshal.Cast<OutputInputLists.Entry, long>(b));
        for (int common = Math.Min(a.Length, b.Length); k < common; k++)
            if (a[k].Input != b[k].Input) return a[k].Input.CompareTo(b[k].Input);
        return a.Length.CompareTo(b.Length);
    }

    private readonly struct TailThenRow(OutputInputLists lists) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            int c = CompareTails(lists, x, y);
            return c != 0 ? c : x.CompareTo(y);
        }
    }
}
