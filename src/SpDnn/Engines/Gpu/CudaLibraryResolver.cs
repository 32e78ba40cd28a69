using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// ILGPU binds the CUDA driver as the native library "cuda" (or "nvcuda"). On Linux .NET then
/// probes libcuda.so, which only exists where a CUDA toolkit or dev package is installed; a
/// driver-only machine has just libcuda.so.1. This hook, run when the default probe fails,
/// loads the versioned name so such machines still find their GPU.
/// </summary>
internal static class CudaLibraryResolver
{
    private static int _installed;

    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1",
           "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"];

    /// <summary>Installs the hook once per process; safe to call from anywhere, any number of times.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) != 0) return;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        if (name is not ("cuda" or "nvcuda" or "libcuda" or "libcuda.so")) return IntPtr.Zero;
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
