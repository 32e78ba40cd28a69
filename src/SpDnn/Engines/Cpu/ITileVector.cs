namespace SpDnn.Engines.Cpu;

/// <summary>
/// The 16 lanes of a tile (lane l: live row l) held in SIMD registers of one width, with exactly
/// the operations the kernels use. The kernels are generic over a struct implementing it, so the
/// JIT compiles one copy per width with these calls inlined: no interface dispatch. Products and
/// sums are separate IEEE operations (never fused), so every width gives the same bits.
/// </summary>
internal unsafe interface ITileVector<TSelf> where TSelf : unmanaged, ITileVector<TSelf>
{
    /// <summary>Whether the machine runs this width in hardware rather than through .NET's software fallback.</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>How the engine reports this width (Details["simd"]).</summary>
    static abstract string Name { get; }

    static abstract TSelf Zero { get; }

    /// <summary>16 floats from <paramref name="source"/>.</summary>
    static abstract TSelf Load(float* source);

    /// <summary>16 floats to <paramref name="destination"/>.</summary>
    static abstract void Store(TSelf value, float* destination);

    /// <summary><paramref name="value"/> in all 16 lanes.</summary>
    static abstract TSelf Broadcast(float value);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    /// <summary>
    /// <paramref name="sum"/> + *<paramref name="weight"/>·(16 floats at <paramref name="x"/>): the
    /// product rounded, then the sum (never fused). One operation, both operands by address, so
    /// the JIT broadcasts the weight from memory and folds the load into the multiply.
    /// </summary>
    static abstract TSelf AddProduct(TSelf sum, float* weight, float* x);

    /// <summary>Bitwise or (collects whether any lane of several results is nonzero).</summary>
    static abstract TSelf operator |(TSelf left, TSelf right);

    /// <summary>Whether every lane compares equal to zero.</summary>
    static abstract bool IsZero(TSelf value);

    /// <summary>
    /// Bias where z != 0, cap, ReLU, with the reference's comparisons (a NaN ends as 0); lanes
    /// whose result is not positive come out as +0.
    /// </summary>
    static abstract TSelf Finish(TSelf z, TSelf bias, TSelf cap);

    /// <summary>Bit l set where lane l is greater than zero.</summary>
    static abstract uint PositiveLanes(TSelf value);

    /// <summary>Bit l set where lane l is not ±0 (NaN included): what layers with negative outputs keep.</summary>
    static abstract uint NonZeroLanes(TSelf value);

    /// <summary>
    /// The ReLU of general layers, with the reference's comparisons: <c>v &gt; cap ? cap : v</c>,
    /// then <c>v &gt; 0 ? v : +0</c> (a NaN ends as +0).
    /// </summary>
    static abstract TSelf Rectify(TSelf v, TSelf cap);

    /// <summary>Per lane: <paramref name="then"/> where <paramref name="value"/> &gt; <paramref name="than"/> (false for NaN), else <paramref name="otherwise"/>.</summary>
    static abstract TSelf WhereGreater(TSelf value, TSelf than, TSelf then, TSelf otherwise);

    /// <summary><paramref name="v"/> where <paramref name="z"/> is not ±0, else +0 (a bias added only to nonzero sums).</summary>
    static abstract TSelf ZeroWhereZero(TSelf v, TSelf z);
}
