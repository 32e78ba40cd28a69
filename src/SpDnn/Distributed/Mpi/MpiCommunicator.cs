namespace SpDnn.Distributed.Mpi;

/// <summary>
/// <see cref="ICommunicator"/> over MPI_COMM_WORLD through <see cref="MpiLibrary"/>. Errors
/// return to the caller (MPI_ERRORS_RETURN) and become <see cref="MpiException"/>s. MPI is
/// initialised with MPI_THREAD_FUNNELED: engines may use many threads, but every MPI call
/// comes from the thread that created the communicator.
/// </summary>
internal sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly MpiLibrary _mpi;
    private readonly MpiAbi _abi;
    private readonly bool _ownsInitialisation;
    private bool _disposed;

    private MpiCommunicator(MpiLibrary mpi, bool ownsInitialisation)
    {
        _mpi = mpi;
        _abi = mpi.Abi;
        _ownsInitialisation = ownsInitialisation;
        int rank, size;
        mpi.Check(mpi.CommSetErrhandler(_abi.CommWorld, _abi.ErrorsReturn), "MPI_Comm_set_errhandler");
        mpi.Check(mpi.CommRank(_abi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(_abi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;

        // Ranks sharing this host's memory: the local rank picks the GPU whatever the launcher.
        nint node;
        int localRank, localSize;
        mpi.Check(mpi.CommSplitType(_abi.CommWorld, _abi.CommTypeShared, rank, _abi.InfoNull, &node), "MPI_Comm_split_type");
        mpi.Check(mpi.CommRank(node, &localRank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(node, &localSize), "MPI_Comm_size");
        mpi.Check(mpi.CommFree(&node), "MPI_Comm_free");
        LocalRank = localRank;
        LocalSize = localSize;
        Description = $"MPI ({mpi.Name}, {(mpi.Abi.Kind == MpiAbiKind.OpenMpi ? "Open MPI ABI" : "MPICH ABI")}: {FirstLine(mpi.LibraryVersion()).Replace('\t', ' ')})";
    }

    public int Rank { get; }
    public int Size { get; }
    public int LocalRank { get; }
    public int LocalSize { get; }
    public string Description { get; }

    /// <summary>Loads the library (see <see cref="MpiLibrary.Load"/>) and initialises MPI unless the host already did.</summary>
    internal static MpiCommunicator Initialize(MpiLibrary mpi)
    {
        int initialised, finalised;
        mpi.Check(mpi.Initialized(&initialised), "MPI_Initialized");
        mpi.Check(mpi.Finalized(&finalised), "MPI_Finalized");
        if (finalised != 0) throw new MpiException("MPI was already finalised in this process.");
        if (initialised != 0) return new MpiCommunicator(mpi, ownsInitialisation: false);
        int provided;
        mpi.Check(mpi.InitThread(null, 0, MpiAbi.ThreadFunneled, &provided), "MPI_Init_thread");
        return new MpiCommunicator(mpi, ownsInitialisation: true);
    }

    public int[] AllGather(int value)
    {
        var all = new int[Size];
        fixed (int* recv = all)
            _mpi.Check(_mpi.Allgather(&value, 1, _abi.Int, recv, 1, _abi.Int, _abi.CommWorld), "MPI_Allgather");
        return all;
    }

    public int[] AllGatherVariable(ReadOnlySpan<int> local) => GatherVariable(local, _abi.Int);

    public byte[] AllGatherVariable(ReadOnlySpan<byte> local) => GatherVariable(local, _abi.Byte);

    private T[] GatherVariable<T>(ReadOnlySpan<T> local, nint datatype) where T : unmanaged
    {
        var counts = AllGather(local.Length);
        var displacements = new int[Size];
        long total = 0;
        for (int r = 0; r < Size; r++)
        {
            displacements[r] = checked((int)total);
            total += counts[r];
        }
        var all = new T[checked((int)total)];
        T dummy = default; // MPI wants a valid address even for zero counts
        fixed (T* send = local)
        fixed (T* recv = all)
        fixed (int* c = counts)
        fixed (int* d = displacements)
            _mpi.Check(_mpi.Allgatherv(send is null ? &dummy : send, local.Length, datatype,
                recv is null ? &dummy : recv, c, d, datatype, _abi.CommWorld), "MPI_Allgatherv");
        return all;
    }

    public double[] AllReduceMax(ReadOnlySpan<double> local) => Reduce(local, _abi.Double, _abi.OpMax);

    public long[] AllReduceSum(ReadOnlySpan<long> local) => Reduce(local, _abi.Int64, _abi.OpSum);

    private T[] Reduce<T>(ReadOnlySpan<T> local, nint datatype, nint op) where T : unmanaged
    {
        var all = new T[local.Length];
        if (local.Length == 0) return all;
        fixed (T* send = local)
        fixed (T* recv = all)
            _mpi.Check(_mpi.Allreduce(send, recv, local.Length, datatype, op, _abi.CommWorld), "MPI_Allreduce");
        return all;
    }

    public void Broadcast(Span<byte> buffer, int root)
    {
        byte dummy = 0;
        fixed (byte* p = buffer)
            _mpi.Check(_mpi.Bcast(p is null ? &dummy : p, buffer.Length, _abi.Byte, root, _abi.CommWorld), "MPI_Bcast");
    }

    public void Barrier() => _mpi.Check(_mpi.Barrier(_abi.CommWorld), "MPI_Barrier");

    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _mpi.Abort(_abi.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort should not return; make sure this rank ends if it does
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_ownsInitialisation) return;
        int finalised;
        if (_mpi.Finalized(&finalised) == MpiAbi.Success && finalised == 0) _mpi.FinalizeCall();
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\n', '\r']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
