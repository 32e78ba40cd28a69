namespace SpDnn.Distributed;

/// <summary>How images are split over devices and ranks: contiguous slices, decided before the run.</summary>
internal static class StaticPartition
{
    /// <summary>Rows <c>[part·count/parts, (part+1)·count/parts)</c>: what rank <paramref name="part"/> of <paramref name="parts"/> takes.</summary>
    public static (int Start, int Count) EvenSlice(int count, int part, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        int start = (int)((long)count * part / parts);
        int end = (int)((long)count * (part + 1) / parts);
        return (start, end - start);
    }

    /// <summary>
    /// Sizes proportional to <paramref name="weights"/> (largest remainder: each part gets the floor
    /// of its share, the rows left over go to the largest fractional parts, ties to the lower
    /// index); they sum to <paramref name="count"/>.
    /// </summary>
    public static int[] Proportional(int count, IReadOnlyList<double> weights)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (weights.Count == 0) throw new ArgumentException("At least one weight is needed.", nameof(weights));
        double total = 0;
        foreach (double w in weights)
        {
            if (!double.IsFinite(w) || w < 0) throw new ArgumentException($"Weight {w} is not a finite non-negative number.", nameof(weights));
            total += w;
        }
        if (total <= 0) throw new ArgumentException("The weights sum to zero.", nameof(weights));
        var sizes = new int[weights.Count];
        var remainders = new double[weights.Count];
        long given = 0;
        for (int d = 0; d < sizes.Length; d++)
        {
            double share = count * (weights[d] / total);
            sizes[d] = (int)Math.Floor(share);
            remainders[d] = share - sizes[d];
            given += sizes[d];
        }
        var order = Enumerable.Range(0, sizes.Length).OrderByDescending(d => remainders[d]).ThenBy(d => d).ToArray();
        for (int i = 0; given < count; i = (i + 1) % order.Length, given++)
            sizes[order[i]]++;
        return sizes;
    }

    /// <summary>Start row of each part for the given sizes.</summary>
    public static int[] Starts(IReadOnlyList<int> sizes)
    {
        var starts = new int[sizes.Count];
        for (int d = 1; d < starts.Length; d++) starts[d] = starts[d - 1] + sizes[d - 1];
        return starts;
    }
}
