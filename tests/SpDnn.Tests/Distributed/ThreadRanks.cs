using SpDnn.Distributed;

namespace SpDnn.Tests.Distributed;

/// <summary>
/// P ranks as P threads of the test process, with real collective semantics (every rank must
/// call, contributions meet at a barrier): lets the distributed runner's logic, failures
/// included, be tested without mpiexec. A rank that skips a collective makes the others time out.
/// </summary>
public sealed class ThreadRanks
{
    private readonly Barrier _barrier;
    private readonly object?[] _slots;

    private ThreadRanks(int size)
    {
        _barrier = new Barrier(size);
        _slots = new object?[size];
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> rank threads; returns each rank's result or exception.</summary>
    public static (T? Result, Exception? Error)[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        var group = new ThreadRanks(size);
        var outcomes = new (T?, Exception?)[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            using var communicator = new RankCommunicator(group, r);
            try { outcomes[r] = (body(communicator), null); }
            catch (Exception e) { outcomes[r] = (default, e); }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank hung");
        return outcomes;
    }

    private TOut[] Exchange<TOut>(int rank, object contribution, Func<object?[], TOut[]> combine)
    {
        _slots[rank] = contribution;
        if (!_barrier.SignalAndWait(TimeSpan.FromSeconds(20))) throw new TimeoutException("a rank did not reach the collective");
        var result = combine(_slots);
        if (!_barrier.SignalAndWait(TimeSpan.FromSeconds(20))) throw new TimeoutException("a rank did not leave the collective");
        return result;
    }

    private sealed class RankCommunicator(ThreadRanks group, int rank) : ICommunicator
    {
        public int Rank => rank;
        public int Size => group._slots.Length;
        public int LocalRank => rank;
        public int LocalSize => Size;
        public string Description => "threads";

        public int[] AllGather(int value) => group.Exchange(rank, value, s => s.Select(x => (int)x!).ToArray());
        public int[] AllGatherVariable(ReadOnlySpan<int> local) => group.Exchange(rank, local.ToArray(), s => s.SelectMany(x => (int[])x!).ToArray());
        public byte[] AllGatherVariable(ReadOnlySpan<byte> local) => group.Exchange(rank, local.ToArray(), s => s.SelectMany(x => (byte[])x!).ToArray());

        public double[] AllReduceMax(ReadOnlySpan<double> local) => group.Exchange(rank, local.ToArray(),
            s => Enumerable.Range(0, ((double[])s[0]!).Length).Select(i => s.Max(x => ((double[])x!)[i])).ToArray());

        public long[] AllReduceSum(ReadOnlySpan<long> local) => group.Exchange(rank, local.ToArray(),
            s => Enumerable.Range(0, ((long[])s[0]!).Length).Select(i => s.Sum(x => ((long[])x!)[i])).ToArray());

        public void Broadcast(Span<byte> buffer, int root)
        {
            var data = group.Exchange(rank, buffer.ToArray(), s => (byte[])s[root]!);
            data.CopyTo(buffer);
        }

        public void Barrier() => group.Exchange(rank, 0, _ => Array.Empty<int>());
        public void Abort(int exitCode) => throw new InvalidOperationException($"abort({exitCode})");
        public void Dispose() { }
    }
}
