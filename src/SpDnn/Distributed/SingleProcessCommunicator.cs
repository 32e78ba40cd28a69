namespace SpDnn.Distributed;

/// <summary>The job of one rank: every collective is a copy. Used whenever no MPI launcher started the process.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    public int Rank => 0;
    public int Size => 1;
    public int LocalRank => 0;
    public int LocalSize => 1;
    public string Description => "single process";

    public int[] AllGather(int value) => [value];
    public int[] AllGatherVariable(ReadOnlySpan<int> local) => local.ToArray();
    public byte[] AllGatherVariable(ReadOnlySpan<byte> local) => local.ToArray();
    public double[] AllReduceMax(ReadOnlySpan<double> local) => local.ToArray();
    public long[] AllReduceSum(ReadOnlySpan<long> local) => local.ToArray();

    public void Broadcast(Span<byte> buffer, int root) =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

    public void Barrier() { }

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    public void Dispose() { }
}
