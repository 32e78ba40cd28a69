namespace SpDnn.Distributed;

/// <summary>The job of one rank: every collective is a copy. Used whenever no MPI launcher started the process.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public int LocalRank => 0;
    /// <inheritdoc/>
    public int LocalSize => 1;
    /// <inheritdoc/>
    public string Description => "single process";

    /// <inheritdoc/>
    public int[] AllGather(int value) => [value];
    /// <inheritdoc/>
    public int[] AllGatherVariable(ReadOnlySpan<int> local) => local.ToArray();
    /// <inheritdoc/>
    public byte[] AllGatherVariable(ReadOnlySpan<byte> local) => local.ToArray();
    /// <inheritdoc/>
    public double[] AllReduceMax(ReadOnlySpan<double> local) => local.ToArray();
    /// <inheritdoc/>
    public long[] AllReduceSum(ReadOnlySpan<long> local) => local.ToArray();

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root) =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

    /// <inheritdoc/>
    public void Barrier() { }

    /// <summary>Ends the process with <paramref name="exitCode"/>, as an MPI abort would end the job.</summary>
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
