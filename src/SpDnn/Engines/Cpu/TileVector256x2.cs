using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpDnn.Engines.Cpu;

/// <summary>A tile's 16 lanes as two Vector256 (AVX2 machines without AVX-512): lanes 0-7, then 8-15.</summary>
internal readonly unsafe struct TileVector256x2(Vector256<float> low, Vector256<float> high) : ITileVector<TileVector256x2>
{
    public readonly Vector256<float> Low = low;
    public readonly Vector256<float> High = high;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static string Name => "Vector256 (2 per tile)";

    public static TileVector256x2 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 Load(float* source) => new(Vector256.Load(source), Vector256.Load(source + 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(TileVector256x2 value, float* destination)
    {
        Vector256.Store(value.Low, destination);
        Vector256.Store(value.High, destination + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 Broadcast(float value)
    {
        var all = Vector256.Create(value);
        return new(all, all);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 operator +(TileVector256x2 left, TileVector256x2 right) =>
        new(left.Low + right.Low, left.High + right.High);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 operator *(TileVector256x2 left, TileVector256x2 right) =>
        new(left.Low * right.Low, left.High * right.High);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 AddProduct(TileVector256x2 sum, float* weight, float* x)
    {
        // One statement per half: the JIT then folds a load into a multiply.
        var w = Vector256.Create(*weight);
        var low = sum.Low + w * Vector256.Load(x);
        var high = sum.High + w * Vector256.Load(x + 8);
        return new(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 operator |(TileVector256x2 left, TileVector256x2 right) =>
        new(left.Low | right.Low, left.High | right.High);

    /// <summary>Or-ing the halves first is exact: the or of two lanes is ±0 only when both are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsZero(TileVector256x2 value) => (value.Low | value.High) == Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 Finish(TileVector256x2 z, TileVector256x2 bias, TileVector256x2 cap) =>
        new(Finish(z.Low, bias.Low, cap.Low), Finish(z.High, bias.High, cap.High));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PositiveLanes(TileVector256x2 value) =>
        Vector256.GreaterThan(value.Low, Vector256<float>.Zero).ExtractMostSignificantBits()
        | Vector256.GreaterThan(value.High, Vector256<float>.Zero).ExtractMostSignificantBits() << 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(TileVector256x2 value) =>
        (~Vector256.Equals(value.Low, Vector256<float>.Zero)).ExtractMostSignificantBits()
        | (~Vector256.Equals(value.High, Vector256<float>.Zero)).ExtractMostSignificantBits() << 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 Rectify(TileVector256x2 v, TileVector256x2 cap) => new(Rectify(v.Low, cap.Low), Rectify(v.High, cap.High));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 WhereGreater(TileVector256x2 value, TileVector256x2 than, TileVector256x2 then, TileVector256x2 otherwise) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(value.Low, than.Low), then.Low, otherwise.Low),
            Vector256.ConditionalSelect(Vector256.GreaterThan(value.High, than.High), then.High, otherwise.High));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector256x2 ZeroWhereZero(TileVector256x2 v, TileVector256x2 z) =>
        new(v.Low & ~Vector256.Equals(z.Low, Vector256<float>.Zero), v.High & ~Vector256.Equals(z.High, Vector256<float>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Rectify(Vector256<float> v, Vector256<float> cap)
    {
        v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, cap), cap, v);
        return v & Vector256.GreaterThan(v, Vector256<float>.Zero);
    }

    /// <summary>The finish (see <see cref="ITileVector{TSelf}.Finish"/>) on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> z, Vector256<float> bias, Vector256<float> cap)
    {
        var v = z + bias;
        v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, cap), cap, v);
        var keep = Vector256.GreaterThan(v, Vector256<float>.Zero) & ~Vector256.Equals(z, Vector256<float>.Zero);
        return v & keep;
    }
}
