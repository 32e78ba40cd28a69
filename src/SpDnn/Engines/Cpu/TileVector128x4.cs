using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpDnn.Engines.Cpu;

/// <summary>A tile's 16 lanes as four Vector128 (NEON on ARM64, SSE on x64): lanes 0-3, 4-7, 8-11, 12-15.</summary>
internal readonly unsafe struct TileVector128x4(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3)
    : ITileVector<TileVector128x4>
{
    public readonly Vector128<float> Q0 = q0;
    public readonly Vector128<float> Q1 = q1;
    public readonly Vector128<float> Q2 = q2;
    public readonly Vector128<float> Q3 = q3;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static string Name => "Vector128 (4 per tile)";

    public static TileVector128x4 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 Load(float* source) =>
        new(Vector128.Load(source), Vector128.Load(source + 4), Vector128.Load(source + 8), Vector128.Load(source + 12));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(TileVector128x4 value, float* destination)
    {
        Vector128.Store(value.Q0, destination);
        Vector128.Store(value.Q1, destination + 4);
        Vector128.Store(value.Q2, destination + 8);
        Vector128.Store(value.Q3, destination + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 Broadcast(float value)
    {
        var all = Vector128.Create(value);
        return new(all, all, all, all);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 operator +(TileVector128x4 left, TileVector128x4 right) =>
        new(left.Q0 + right.Q0, left.Q1 + right.Q1, left.Q2 + right.Q2, left.Q3 + right.Q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 operator *(TileVector128x4 left, TileVector128x4 right) =>
        new(left.Q0 * right.Q0, left.Q1 * right.Q1, left.Q2 * right.Q2, left.Q3 * right.Q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 AddProduct(TileVector128x4 sum, float* weight, float* x)
    {
        // One statement per quarter: the JIT then folds loads into multiplies.
        var w = Vector128.Create(*weight);
        var q0 = sum.Q0 + w * Vector128.Load(x);
        var q1 = sum.Q1 + w * Vector128.Load(x + 4);
        var q2 = sum.Q2 + w * Vector128.Load(x + 8);
        var q3 = sum.Q3 + w * Vector128.Load(x + 12);
        return new(q0, q1, q2, q3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 operator |(TileVector128x4 left, TileVector128x4 right) =>
        new(left.Q0 | right.Q0, left.Q1 | right.Q1, left.Q2 | right.Q2, left.Q3 | right.Q3);

    /// <summary>Or-ing the quarters first is exact: the or of lanes is ±0 only when all are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsZero(TileVector128x4 value) => ((value.Q0 | value.Q1) | (value.Q2 | value.Q3)) == Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 Finish(TileVector128x4 z, TileVector128x4 bias, TileVector128x4 cap) =>
        new(Finish(z.Q0, bias.Q0, cap.Q0), Finish(z.Q1, bias.Q1, cap.Q1), Finish(z.Q2, bias.Q2, cap.Q2), Finish(z.Q3, bias.Q3, cap.Q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PositiveLanes(TileVector128x4 value) =>
        Vector128.GreaterThan(value.Q0, Vector128<float>.Zero).ExtractMostSignificantBits()
        | Vector128.GreaterThan(value.Q1, Vector128<float>.Zero).ExtractMostSignificantBits() << 4
        | Vector128.GreaterThan(value.Q2, Vector128<float>.Zero).ExtractMostSignificantBits() << 8
        | Vector128.GreaterThan(value.Q3, Vector128<float>.Zero).ExtractMostSignificantBits() << 12;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(TileVector128x4 value) =>
        (~Vector128.Equals(value.Q0, Vector128<float>.Zero)).ExtractMostSignificantBits()
        | (~Vector128.Equals(value.Q1, Vector128<float>.Zero)).ExtractMostSignificantBits() << 4
        | (~Vector128.Equals(value.Q2, Vector128<float>.Zero)).ExtractMostSignificantBits() << 8
        | (~Vector128.Equals(value.Q3, Vector128<float>.Zero)).ExtractMostSignificantBits() << 12;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 Rectify(TileVector128x4 v, TileVector128x4 cap) =>
        new(Rectify(v.Q0, cap.Q0), Rectify(v.Q1, cap.Q1), Rectify(v.Q2, cap.Q2), Rectify(v.Q3, cap.Q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 WhereGreater(TileVector128x4 value, TileVector128x4 than, TileVector128x4 then, TileVector128x4 otherwise) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThan(value.Q0, than.Q0), then.Q0, otherwise.Q0),
            Vector128.ConditionalSelect(Vector128.GreaterThan(value.Q1, than.Q1), then.Q1, otherwise.Q1),
            Vector128.ConditionalSelect(Vector128.GreaterThan(value.Q2, than.Q2), then.Q2, otherwise.Q2),
            Vector128.ConditionalSelect(Vector128.GreaterThan(value.Q3, than.Q3), then.Q3, otherwise.Q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector128x4 ZeroWhereZero(TileVector128x4 v, TileVector128x4 z) =>
        new(ZeroWhereZero(v.Q0, z.Q0), ZeroWhereZero(v.Q1, z.Q1), ZeroWhereZero(v.Q2, z.Q2), ZeroWhereZero(v.Q3, z.Q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ZeroWhereZero(Vector128<float> v, Vector128<float> z) => v & ~Vector128.Equals(z, Vector128<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Rectify(Vector128<float> v, Vector128<float> cap)
    {
        v = Vector128.ConditionalSelect(Vector128.GreaterThan(v, cap), cap, v);
        return v & Vector128.GreaterThan(v, Vector128<float>.Zero);
    }

    /// <summary>The finish (see <see cref="ITileVector{TSelf}.Finish"/>) on 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Finish(Vector128<float> z, Vector128<float> bias, Vector128<float> cap)
    {
        var v = z + bias;
        v = Vector128.ConditionalSelect(Vector128.GreaterThan(v, cap), cap, v);
        var keep = Vector128.GreaterThan(v, Vector128<float>.Zero) & ~Vector128.Equals(z, Vector128<float>.Zero);
        return v & keep;
    }
}
