using System.Runtime.InteropServices;

namespace SpDnn.Distributed.Mpi;

/// <summary>Which binary interface an MPI library has.</summary>
internal enum MpiAbiKind
{
    /// <summary>The MPICH ABI (libmpi.so.12: MPICH ≥ 3.1, Intel MPI ≥ 5, Cray MPICH, MVAPICH2, ParaStation MPI): handles are ints of fixed value.</summary>
    Mpich,

    /// <summary>Open MPI (libmpi.so.40): handles are pointers to the library's own predefined objects.</summary>
    OpenMpi,
}

/// <summary>
/// The handles and constants SpDnn passes to MPI, for the ABI of the library loaded. Handles are held
/// pointer-sized: Open MPI's are addresses of exported objects (<c>MPI_COMM_WORLD</c> is
/// <c>&amp;ompi_mpi_comm_world</c>); MPICH's are 32-bit ints, which the C calling conventions SpDnn
/// runs on (x86-64 System V, AArch64) pass in the low half of a register or 8-byte stack slot, so the
/// same function pointer types serve both.
/// </summary>
internal sealed record MpiAbi(MpiAbiKind Kind, nint CommWorld, nint InfoNull, nint Byte, nint Int, nint Double, nint Int64,
    nint OpMax, nint OpMin, nint OpSum, nint ErrorsReturn, int CommTypeShared)
{
    public const int Success = 0;
    public const int ThreadFunneled = 1;                      // the same in both ABIs
    public const int MaxErrorString = 512;                    // at least either ABI's MPI_MAX_ERROR_STRING
    public const int MaxLibraryVersionString = 8192;          // at least either ABI's MPI_MAX_LIBRARY_VERSION_STRING

    /// <summary>Exported by Open MPI only: its presence tells the ABI of a loaded library.</summary>
    public const string OpenMpiMarkerSymbol = "ompi_mpi_comm_world";

    /// <summary>MPICH 4.0.2's mpi.h values (/usr/include/x86_64-linux-gnu/mpich/mpi.h on Debian 12); fixed by the ABI.</summary>
    public static MpiAbi Mpich { get; } = new(MpiAbiKind.Mpich,
        CommWorld: 0x44000000, InfoNull: 0x1c000000, Byte: 0x4c00010d, Int: 0x4c000405, Double: 0x4c00080b, Int64: 0x4c00083a,
        OpMax: 0x58000001, OpMin: 0x58000002, OpSum: 0x58000003, ErrorsReturn: 0x54000001, CommTypeShared: 1);

    /// <summary>Open MPI's handles: the addresses of its predefined objects in <paramref name="library"/> (Open MPI 4 and 5's mpi.h).</summary>
    public static MpiAbi OpenMpi(nint library, string name)
    {
        nint Symbol(string symbol) => NativeLibrary.TryGetExport(library, symbol, out nint address)
            ? address
            : throw new MpiException($"{name} is Open MPI but has no {symbol}.");
        return new MpiAbi(MpiAbiKind.OpenMpi,
            CommWorld: Symbol("ompi_mpi_comm_world"), InfoNull: Symbol("ompi_mpi_info_null"), Byte: Symbol("ompi_mpi_byte"),
            Int: Symbol("ompi_mpi_int"), Double: Symbol("ompi_mpi_double"), Int64: Symbol("ompi_mpi_int64_t"),
            OpMax: Symbol("ompi_mpi_op_max"), OpMin: Symbol("ompi_mpi_op_min"), OpSum: Symbol("ompi_mpi_op_sum"),
            ErrorsReturn: Symbol("ompi_mpi_errors_return"), CommTypeShared: 0);
    }
}
