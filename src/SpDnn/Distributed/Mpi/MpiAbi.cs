namespace SpDnn.Distributed.Mpi;

/// <summary>
/// Handle values of the MPICH ABI (libmpi.so.12: MPICH ≥ 3.1, Intel MPI ≥ 5, Cray MPICH,
/// MVAPICH2, ParaStation MPI). In this ABI every handle is a plain 32-bit int with a fixed value,
/// so they can be written down here; the values are those of MPICH 4.0.2's mpi.h
/// (/usr/include/x86_64-linux-gnu/mpich/mpi.h on Debian 12). Open MPI uses pointers to its own
/// global objects instead, which is why it cannot be driven through this table.
/// </summary>
internal static class MpiAbi
{
    public const int Success = 0;

    public const int CommWorld = 0x44000000;
    public const int CommNull = 0x04000000;
    public const int InfoNull = 0x1c000000;
    public const int CommTypeShared = 1;

    public const int Byte = 0x4c00010d;
    public const int Int = 0x4c000405;
    public const int Double = 0x4c00080b;
    public const int Int64 = 0x4c00083a;

    public const int OpMax = 0x58000001;
    public const int OpMin = 0x58000002;
    public const int OpSum = 0x58000003;

    public const int ErrorsReturn = 0x54000001;

    public const int ThreadSingle = 0;
    public const int ThreadFunneled = 1;
    public const int ThreadSerialized = 2;
    public const int ThreadMultiple = 3;

    public const int MaxErrorString = 512;
    public const int MaxLibraryVersionString = 8192;
}
