using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpDnn.Engines.Cpu;

/// <summary>A tile's 16 lanes as one Vector512 (AVX-512).</summary>
internal readonly unsafe struct TileVector512(Vector512<float> lanes) : ITileVector<TileVector512>
{
    public readonly Vector512<float> Lanes = lanes;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static string Name => "Vector512";

    public static TileVector512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(TileVector512 value, float* destination) => Vector512.Store(value.Lanes, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 Broadcast(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 operator +(TileVector512 left, TileVector512 right) => new(left.Lanes + right.Lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 operator *(TileVector512 left, TileVector512 right) => new(left.Lanes * right.Lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 AddProduct(TileVector512 sum, float* weight, float* x) =>
        new(sum.Lanes + Vector512.Create(*weight) * Vector512.Load(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 operator |(TileVector512 left, TileVector512 right) => new(left.Lanes | right.Lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsZero(TileVector512 value) => value.Lanes == Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 Finish(TileVector512 z, TileVector512 bias, TileVector512 cap) => new(Finish(z.Lanes, bias.Lanes, cap.Lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PositiveLanes(TileVector512 value) =>
        (uint)Vector512.GreaterThan(value.Lanes, Vector512<float>.Zero).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroLanes(TileVector512 value) =>
        (uint)(~Vector512.Equals(value.Lanes, Vector512<float>.Zero)).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 Rectify(TileVector512 v, TileVector512 cap) => new(Rectify(v.Lanes, cap.Lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 WhereGreater(TileVector512 value, TileVector512 than, TileVector512 then, TileVector512 otherwise) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(value.Lanes, than.Lanes), then.Lanes, otherwise.Lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileVector512 ZeroWhereZero(TileVector512 v, TileVector512 z) =>
        new(v.Lanes & ~Vector512.Equals(z.Lanes, Vector512<float>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rectify(Vector512<float> v, Vector512<float> cap)
    {
        v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, cap), cap, v);
        return v & Vector512.GreaterThan(v, Vector512<float>.Zero);
    }

    /// <summary>The finish on one Vector512 (see <see cref="ITileVector{TSelf}.Finish"/>); the row kernel uses it too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Finish(Vector512<float> z, Vector512<float> bias, Vector512<float> cap)
    {
        var v = z + bias;
        v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, cap), cap, v);
        var keep = Vector512.GreaterThan(v, Vector512<float>.Zero) & ~Vector512.Equals(z, Vector512<float>.Zero);
        return v & keep;
    }
}
