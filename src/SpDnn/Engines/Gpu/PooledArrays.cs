using System.Buffers;

namespace SpDnn.Engines.Gpu;

/// <summary>Giving pooled buffers back, for the layouts and builders that hold them.</summary>
internal static class PooledArrays
{
    /// <summary>Returns <paramref name="buffer"/> to the shared pool (unless it is empty) and leaves it empty, so a second call does nothing.</summary>
    public static void Return<T>(ref T[] buffer)
    {
        if (buffer.Length > 0) ArrayPool<T>.Shared.Return(buffer);
        buffer = [];
    }
}
