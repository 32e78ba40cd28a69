namespace SpDnn.Distributed;

/// <summary>
/// The collectives the distributed runner needs, over all ranks of a job. Every rank must make
/// the same calls in the same order (MPI's rule); a rank that cannot must say so through
/// <see cref="FailureAgreement"/> rather than skip a call, or the others wait for ever.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's rank, 0 ..<see cref="Size"/> - 1.</summary>
    int Rank { get; }
    /// <summary>Number of ranks in the job.</summary>
    int Size { get; }

    /// <summary>Rank among the processes of this host (selects the GPU).</summary>
    int LocalRank { get; }

    /// <summary>Processes on this host.</summary>
    int LocalSize { get; }

    /// <summary>What carries the messages ("single process", the MPI library's version), for reports.</summary>
    string Description { get; }

    /// <summary>Every rank's value, in rank order.</summary>
    int[] AllGather(int value);

    /// <summary>Every rank's items, concatenated in rank order (ranks may contribute different counts).</summary>
    int[] AllGatherVariable(ReadOnlySpan<int> local);

    /// <inheritdoc cref="AllGatherVariable(ReadOnlySpan{int})"/>
    byte[] AllGatherVariable(ReadOnlySpan<byte> local);

    /// <summary>Element-wise maximum over ranks.</summary>
    double[] AllReduceMax(ReadOnlySpan<double> local);

    /// <summary>Element-wise sum over ranks.</summary>
    long[] AllReduceSum(ReadOnlySpan<long> local);

    /// <summary>Copies <paramref name="buffer"/> of rank <paramref name="root"/> into every rank's buffer (same length everywhere).</summary>
    void Broadcast(Span<byte> buffer, int root);

    /// <summary>Returns once every rank has reached it (lines up the start of a timed section).</summary>
    void Barrier();

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/>; for failures inside a collective, where no agreement is possible.</summary>
    void Abort(int exitCode);
}
