namespace SpDnn.Distributed;

/// <summary>
/// Exercises every collective of a communicator with values each rank can predict, so a user
/// (and CI) can tell whether an MPI installation works with SpDnn before running a real job.
/// </summary>
internal static class CollectiveSelfCheck
{
    /// <summary>Runs the checks; returns the problems seen by this rank (empty when all passed).</summary>
    public static IReadOnlyList<string> Run(ICommunicator c)
    {
        var problems = new List<string>();
        int p = c.Size, r = c.Rank;
        void Expect(bool ok, string what) { if (!ok) problems.Add($"rank {r}: {what}"); }

        Expect(r >= 0 && r < p, $"rank {r} outside 0..{p - 1}");
        Expect(c.LocalRank >= 0 && c.LocalRank < c.LocalSize && c.LocalSize <= p, $"local rank {c.LocalRank} of {c.LocalSize}");

        var ranks = c.AllGather(r * 10);
        Expect(ranks.SequenceEqual(Enumerable.Range(0, p).Select(x => x * 10)), $"all-gather gave [{string.Join(",", ranks)}]");

        // Rank x contributes x copies of x (rank 0 none): uneven and empty contributions.
        var ints = c.AllGatherVariable(Enumerable.Repeat(r, r).ToArray());
        Expect(ints.SequenceEqual(Enumerable.Range(0, p).SelectMany(x => Enumerable.Repeat(x, x))), $"all-gather-v of ints gave {ints.Length} items");
        var bytes = c.AllGatherVariable(Enumerable.Repeat((byte)(r + 1), p - r).ToArray());
        Expect(bytes.SequenceEqual(Enumerable.Range(0, p).SelectMany(x => Enumerable.Repeat((byte)(x + 1), p - x))), $"all-gather-v of bytes gave {bytes.Length} items");

        var max = c.AllReduceMax([r + 0.5, -r]);
        Expect(max.SequenceEqual([p - 0.5, 0.0]), $"all-reduce max gave [{string.Join(",", max)}]");
        var sum = c.AllReduceSum([r, 1, (long)int.MaxValue + r]);
        Expect(sum.SequenceEqual([(long)p * (p - 1) / 2, p, (long)p * int.MaxValue + (long)p * (p - 1) / 2]), $"all-reduce sum gave [{string.Join(",", sum)}]");

        var buffer = new byte[5];
        if (r == p - 1) buffer.AsSpan().Fill(0xA5);
        c.Broadcast(buffer, p - 1);
        Expect(buffer.All(b => b == 0xA5), "broadcast from the last rank did not arrive");

        c.Barrier();
        return problems;
    }
}
