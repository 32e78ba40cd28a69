using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// A fast 64-bit hash of a sparse row's indices and value bits, for finding identical rows.
/// Four independent lanes keep the multiplies pipelined; equal rows always hash equal, and
/// matches are confirmed bit for bit, so the hash only has to be quick and well spread.
/// </summary>
internal static class RowHash
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Compute(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        ulong h0 = Prime1, h1 = Prime2, h2 = 0x165667B19E3779F9UL, h3 = 0x27D4EB2F165667C5UL;
        int e = 0;
        for (; e + 4 <= indices.Length; e += 4)
        {
            h0 = Step(h0, indices[e], bits[e]);
            h1 = Step(h1, indices[e + 1], bits[e + 1]);
            h2 = Step(h2, indices[e + 2], bits[e + 2]);
            h3 = Step(h3, indices[e + 3], bits[e + 3]);
        }
        for (; e < indices.Length; e++) h0 = Step(h0, indices[e], bits[e]);
        ulong h = BitOperations.RotateLeft(h0, 1) + BitOperations.RotateLeft(h1, 7) + BitOperations.RotateLeft(h2, 12) + BitOperations.RotateLeft(h3, 18);
        h ^= (ulong)indices.Length * Prime2;
        h ^= h >> 29;
        h *= Prime1;
        return h ^ (h >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ulong h, int index, uint value)
    {
        h += (((ulong)(uint)index << 32) | value) * Prime2;
        return BitOperations.RotateLeft(h, 31) * Prime1;
    }
}
