using System.Runtime.InteropServices;
using System.Text;

namespace SpDnn.Distributed.Mpi;

/// <summary>
/// The dozen MPI entry points SpDnn needs, bound at run time against a library of the MPICH ABI.
/// A hand-written binding rather than MPI.NET 1.4.0: MPI.NET hard-codes library names that
/// Debian's runtime package does not ship (it has libmpich.so.12, not libmpi.so.12), needs an
/// assembly-wide DllImport resolver (one per assembly, which the GPU engine's libcuda resolver
/// also wants) and crashes rather than failing cleanly against Open MPI. Function pointers from
/// <see cref="NativeLibrary"/> avoid resolvers entirely and let us refuse Open MPI before any call.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Environment variable naming the MPI library explicitly (a path or a soname).</summary>
    public const string OverrideVariable = "SPDNN_MPI_LIBRARY";

    /// <summary>Sonames tried in order: the ABI's own, then Debian/Ubuntu's MPICH runtime name, then dev symlinks.</summary>
    public static IReadOnlyList<string> CandidateNames { get; } = ["libmpi.so.12", "libmpich.so.12", "libmpi.so", "libmpich.so"];

    private MpiLibrary(string name, nint handle)
    {
        Name = name;
        Handle = handle;
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        FinalizeCall = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<int, int, int>)Export("MPI_Comm_set_errhandler");
        CommSplitType = (delegate* unmanaged<int, int, int, int, int*, int>)Export("MPI_Comm_split_type");
        CommFree = (delegate* unmanaged<int*, int>)Export("MPI_Comm_free");
        Allgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)Export("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int>)Export("MPI_Allgatherv");
        Allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Export("MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, int, int, int, int>)Export("MPI_Bcast");
        Barrier = (delegate* unmanaged<int, int>)Export("MPI_Barrier");
        Abort = (delegate* unmanaged<int, int, int>)Export("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
    }

    public string Name { get; }
    public nint Handle { get; }

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> FinalizeCall;
    public readonly delegate* unmanaged<int, int*, int> CommRank;
    public readonly delegate* unmanaged<int, int*, int> CommSize;
    public readonly delegate* unmanaged<int, int, int> CommSetErrhandler;
    public readonly delegate* unmanaged<int, int, int, int, int*, int> CommSplitType;
    public readonly delegate* unmanaged<int*, int> CommFree;
    public readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int> Allgather;
    public readonly delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int> Allgatherv;
    public readonly delegate* unmanaged<void*, void*, int, int, int, int, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, int, int, int, int> Bcast;
    public readonly delegate* unmanaged<int, int> Barrier;
    public readonly delegate* unmanaged<int, int, int> Abort;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    public readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;

    /// <summary>
    /// Loads the first MPICH-ABI library found (or the one <see cref="OverrideVariable"/> names).
    /// Throws <see cref="MpiException"/> with what was tried when none loads, or when the library
    /// found is Open MPI.
    /// </summary>
    public static MpiLibrary Load(string? overrideName)
    {
        IReadOnlyList<string> names = string.IsNullOrWhiteSpace(overrideName) ? CandidateNames : [overrideName];
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            // Open MPI exports its predefined objects as data symbols; its handles are pointers to them.
            if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            {
                NativeLibrary.Free(handle);
                throw new MpiException($"{name} is Open MPI, whose ABI SpDnn does not support; use an MPI of the MPICH ABI " +
                    "(MPICH, Intel MPI, Cray MPICH, MVAPICH) and its mpiexec.");
            }
            try
            {
                return new MpiLibrary(name, handle);
            }
            catch (MpiException)
            {
                NativeLibrary.Free(handle);
                throw;
            }
        }
        throw new MpiException($"no MPI library of the MPICH ABI could be loaded (tried {string.Join(", ", names)}). " +
            $"Install MPICH (Debian/Ubuntu: apt-get install mpich), Intel MPI, Cray MPICH or MVAPICH, or set {OverrideVariable} to its libmpi.so.12.");
    }

    /// <summary>The library's own version text (callable before MPI is initialised).</summary>
    public string LibraryVersion()
    {
        var buffer = new byte[MpiAbi.MaxLibraryVersionString];
        int length = 0;
        fixed (byte* p = buffer)
            if (GetLibraryVersion(p, &length) != MpiAbi.Success) return "unknown MPI library version";
        return Encoding.ASCII.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0', '\n', ' ');
    }

    /// <summary>Throws an <see cref="MpiException"/> naming the call and MPI's own message unless <paramref name="code"/> is success.</summary>
    public void Check(int code, string call)
    {
        if (code == MpiAbi.Success) return;
        var buffer = new byte[MpiAbi.MaxErrorString];
        int length = 0;
        string text;
        fixed (byte* p = buffer)
            text = ErrorString(code, p, &length) == MpiAbi.Success
                ? Encoding.ASCII.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length))
                : "unknown error";
        throw new MpiException($"{call} failed with MPI error {code}: {text.Trim()}");
    }

    private nint Export(string symbol) =>
        NativeLibrary.TryGetExport(Handle, symbol, out nint address)
            ? address
            : throw new MpiException($"{Name} has no {symbol}: not an MPI library of the MPICH ABI.");
}
