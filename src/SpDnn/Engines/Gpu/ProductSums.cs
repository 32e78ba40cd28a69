using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>How the layer kernel adds a product y * w to a running sum (a type argument, so each kernel variant has no branch).</summary>
internal interface IProductSum
{
    float Add(float sum, float y, float w);
}

/// <summary>
/// The product rounded on its own, then added: what the reference computes, for any weights.
/// A plain multiply and add would let ptxas contract them into one fused multiply-add (PTX
/// allows it for mul.f32 without a rounding modifier). Here the rounded product is multiplied by
/// a one only known at run time (made from <see cref="ProgramArgs.OpaqueZero"/>) before it is
/// added: ptxas may contract that second multiply with the add, and p x 1 + sum rounded once is
/// p + sum rounded, bit for bit (signed zeros, subnormals and infinities alike), while the first
/// multiply feeds a multiply, which is never contracted. Two instructions a product (FMUL, FFMA);
/// the exclusive or with an opaque zero this replaced took three. Inline PTX (mul.rn.f32) would
/// say it directly, but ILGPU routes inline-PTX outputs through local memory, and ptxas keeps
/// those stores in a kernel this size (one per multiply-add, measured 5.5x slower).
/// </summary>
internal struct RoundedProductSum : IProductSum
{
    public float One;

    public static RoundedProductSum For(ProgramArgs a) => new() { One = Interop.IntAsFloat(0x3F800000u ^ (uint)a.OpaqueZero) };

    public readonly float Add(float sum, float y, float w) => sum + y * w * One;
}

/// <summary>
/// One fused multiply-add on the device: a plain multiply and add, which ptxas contracts into
/// one fma. No inline PTX: its output operands go through local memory, and ptxas does not always
/// remove those stores from a large kernel. Equal bit for bit to <see cref="RoundedProductSum"/>
/// only where the product y * w is exact (see <see cref="ExactProducts"/>), which the kernel
/// checks first; there, contracted or not, the result is the same.
/// </summary>
internal struct DeviceFusedProductSum : IProductSum
{
    public readonly float Add(float sum, float y, float w) => sum + y * w;
}

/// <summary>
/// The fused multiply-add on ILGPU's CPU simulator: correctly rounded in software, so that a
/// wrong choice of the fused path (an inexact product) changes results there as it would on
/// the device.
/// </summary>
internal struct SimulatedFusedProductSum : IProductSum
{
    public readonly float Add(float sum, float y, float w) => SoftwareFma.FusedMultiplyAdd(y, w, sum);
}
