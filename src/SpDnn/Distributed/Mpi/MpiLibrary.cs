using System.Runtime.InteropServices;
using System.Text;

namespace SpDnn.Distributed.Mpi;

/// <summary>
/// The dozen MPI entry points SpDnn needs, bound at run time against the library found: one of the
/// MPICH ABI or Open MPI, told apart by Open MPI's exported objects (<see cref="MpiAbi"/>).
/// A hand-written binding rather than MPI.NET 1.4.0: MPI.NET hard-codes library names that
/// Debian's runtime package does not ship (it has libmpich.so.12, not libmpi.so.12), needs an
/// assembly-wide DllImport resolver (one per assembly, which the GPU engine's libcuda resolver
/// also wants) and binds one ABI at compile time. Function pointers from <see cref="NativeLibrary"/>
/// avoid resolvers and let the handles be chosen once the library is known.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Environment variable naming the MPI library explicitly (a path or a soname).</summary>
    public const string OverrideVariable = "SPDNN_MPI_LIBRARY";

    /// <summary>MPICH-ABI sonames: the ABI's own, Debian/Ubuntu's MPICH runtime name, then the dev symlinks.</summary>
    public static IReadOnlyList<string> MpichNames { get; } = ["libmpi.so.12", "libmpich.so.12", "libmpich.so"];

    /// <summary>Open MPI's sonames (4.x and 5.x keep libmpi.so.40), then Debian's alternative path and the dev symlink.</summary>
    public static IReadOnlyList<string> OpenMpiNames { get; } = ["libmpi.so.40", "/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so.40",
        "/usr/lib/aarch64-linux-gnu/openmpi/lib/libmpi.so.40", "libmpi.so"];

    /// <summary>Sonames tried, in order, for a process started by <paramref name="launcher"/>: its own family's first.</summary>
    public static IReadOnlyList<string> CandidateNames(MpiLauncher launcher) =>
        launcher == MpiLauncher.OpenMpi ? [.. OpenMpiNames, .. MpichNames] : [.. MpichNames, .. OpenMpiNames];

    private MpiLibrary(string name, nint handle)
    {
        Name = name;
        Handle = handle;
        Abi = NativeLibrary.TryGetExport(handle, MpiAbi.OpenMpiMarkerSymbol, out _) ? MpiAbi.OpenMpi(handle, name) : MpiAbi.Mpich;
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        FinalizeCall = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Export("MPI_Comm_set_errhandler");
        CommSplitType = (delegate* unmanaged<nint, int, int, nint, nint*, int>)Export("MPI_Comm_split_type");
        CommFree = (delegate* unmanaged<nint*, int>)Export("MPI_Comm_free");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Allgatherv");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
    }

    public string Name { get; }
    public nint Handle { get; }

    /// <summary>The library's ABI and the handles to pass it.</summary>
    public MpiAbi Abi { get; }

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> FinalizeCall;
    // Handles (communicators, datatypes, ops, info, error handlers) are pointer-sized here; see MpiAbi.
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<nint, int, int, nint, nint*, int> CommSplitType;
    public readonly delegate* unmanaged<nint*, int> CommFree;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    public readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;

    /// <summary>
    /// Loads the first MPI library found for a process started by <paramref name="launcher"/> (or the one
    /// <see cref="OverrideVariable"/> names), of either ABI. Throws <see cref="MpiException"/> with what was
    /// tried when none loads.
    /// </summary>
    public static MpiLibrary Load(string? overrideName, MpiLauncher launcher)
    {
        IReadOnlyList<string> names = string.IsNullOrWhiteSpace(overrideName) ? CandidateNames(launcher) : [overrideName];
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
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
        throw new MpiException($"no MPI library could be loaded (tried {string.Join(", ", names)}). " +
            $"Install MPICH or Open MPI (Debian/Ubuntu: apt-get install mpich, or openmpi-bin), or set {OverrideVariable} to the libmpi.so of the mpiexec you use.");
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
            : throw new MpiException($"{Name} has no {symbol}: not an MPI library.");
}
