namespace SpDnn.Engines.Cpu;

/// <summary>
/// The SIMD vectors that hold a tile's 16 lanes (one per live row). Every choice gives the same
/// bits; only the speed differs with the machine.
/// </summary>
public enum CpuSimd
{
    /// <summary>The widest the machine runs in hardware: Vector512, else Vector256, else Vector128.</summary>
    Auto,

    /// <summary>One Vector512 per tile (AVX-512); also uses the AVX-512-only row kernel and block transposition.</summary>
    Vector512,

    /// <summary>Two Vector256 per tile (AVX2), without the AVX-512-only paths, as a machine without AVX-512 runs.</summary>
    Vector256,

    /// <summary>Four Vector128 per tile (NEON on ARM64, SSE on x64), without the AVX-512-only paths.</summary>
    Vector128,
}
