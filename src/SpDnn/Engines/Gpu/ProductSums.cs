using ILGPU;
using ILGPU.Runtime.Cuda;

namespace SpDnn.Engines.Gpu;

/// <summary>How the layer kernel adds a product y * w to a running sum (a type argument, so each kernel variant has no branch).</summary>
internal interface IProductSum
{
    float Add(float sum, float y, float w);
}

/// <summary>The product rounded on its own, then added: what the reference computes, for any weights.</summary>
internal struct RoundedProductSum : IProductSum
{
    public readonly float Add(float sum, float y, float w) => sum + LayerKernel.Product(y, w);
}

/// <summary>
/// One fused multiply-add. Equal bit for bit to <see cref="RoundedProductSum"/> only where the
/// product y * w is exact (see <see cref="ExactProducts"/>), which the kernel checks first.
/// </summary>
internal struct FusedProductSum : IProductSum
{
    public readonly float Add(float sum, float y, float w)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("fma.rn.f32 %0, %1, %2, %3;", out float result, y, w, sum);
            return result;
        }
        return SoftwareFma.FusedMultiplyAdd(y, w, sum);
    }
}
