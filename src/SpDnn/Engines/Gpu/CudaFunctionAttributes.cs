using System.Runtime.InteropServices;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The two CUDA driver calls ILGPU 1.5.3 does not make: a kernel may use more than 48 KB of
/// dynamic shared memory only after cuFuncSetAttribute raises its limit, up to the device's
/// opt-in maximum (227 KB on the H200). The library name "cuda" resolves as ILGPU's does
/// (<see cref="CudaLibraryResolver"/>).
/// </summary>
internal static partial class CudaFunctionAttributes
{
    private const int MaxDynamicSharedSizeBytes = 8;          // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    private const int PreferredSharedMemoryCarveout = 9;      // CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT
    private const int MaxSharedMemoryPerBlockOptin = 97;      // CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN

    [LibraryImport("cuda")]
    private static partial int cuFuncSetAttribute(IntPtr function, int attribute, int value);

    [LibraryImport("cuda")]
    private static partial int cuDeviceGetAttribute(out int value, int attribute, int device);

    /// <summary>Shared memory one group may have on <paramref name="device"/> after opting in, in bytes.</summary>
    public static int OptInSharedMemoryPerGroup(int device)
    {
        int status = cuDeviceGetAttribute(out int value, MaxSharedMemoryPerBlockOptin, device);
        if (status != 0) throw new InvalidOperationException($"cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN) failed with CUDA error {status}.");
        return value;
    }

    /// <summary>Lets <paramref name="function"/> take up to <paramref name="bytes"/> of dynamic shared memory, with the largest shared-memory carveout.</summary>
    public static void AllowDynamicSharedMemory(IntPtr function, int bytes)
    {
        int status = cuFuncSetAttribute(function, MaxDynamicSharedSizeBytes, bytes);
        if (status != 0) throw new InvalidOperationException($"cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, {bytes}) failed with CUDA error {status}.");
        status = cuFuncSetAttribute(function, PreferredSharedMemoryCarveout, 100);
        if (status != 0) throw new InvalidOperationException($"cuFuncSetAttribute(PREFERRED_SHARED_MEMORY_CARVEOUT) failed with CUDA error {status}.");
    }
}
