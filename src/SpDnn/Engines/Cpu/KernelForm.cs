using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The finish a layer's kernels apply, chosen once per layer at planning from its
/// <see cref="LayerForm"/>. The challenge's form (and any ReLU with the bias on nonzero sums) is
/// <see cref="RectifiedOnNonzero"/>, whose kernels are exactly those of the challenge-only engine.
/// </summary>
internal enum KernelForm
{
    /// <summary>ReLU (capped or not: an uncapped one has cap +∞), bias only where the sum is nonzero.</summary>
    RectifiedOnNonzero,

    /// <summary>ReLU (capped or not), bias always.</summary>
    RectifiedAlways,

    /// <summary>No activation, bias only where the sum is nonzero.</summary>
    IdentityOnNonzero,

    /// <summary>No activation, bias always.</summary>
    IdentityAlways,
}

internal static class KernelForms
{
    public static KernelForm Of(LayerForm form) => (form.IsRectified, form.Bias) switch
    {
        (true, BiasMode.OnNonzeroSum) => KernelForm.RectifiedOnNonzero,
        (true, _) => KernelForm.RectifiedAlways,
        (false, BiasMode.OnNonzeroSum) => KernelForm.IdentityOnNonzero,
        _ => KernelForm.IdentityAlways,
    };
}

/// <summary>
/// A <see cref="KernelForm"/> as a type: the kernels are generic over a struct implementing it,
/// so the JIT compiles one copy per form with the finish inlined and <see cref="KeepsNegatives"/>
/// folded away; the challenge's copy is the same code as before general layers existed.
/// </summary>
internal interface IKernelForm
{
    /// <summary>Whether outputs may be negative: then the nonzero lanes are kept, else the positive ones.</summary>
    static abstract bool KeepsNegatives { get; }

    /// <summary>Bias and activation of 16 sums (see <see cref="LayerForm"/>); every lane not kept comes out ±0.</summary>
    static abstract TVector Finish<TVector>(TVector z, TVector bias, TVector cap) where TVector : unmanaged, ITileVector<TVector>;
}

internal readonly struct RectifiedOnNonzero : IKernelForm
{
    public static bool KeepsNegatives => false;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static TVector Finish<TVector>(TVector z, TVector bias, TVector cap) where TVector : unmanaged, ITileVector<TVector> =>
        TVector.Finish(z, bias, cap);
}

internal readonly struct RectifiedAlways : IKernelForm
{
    public static bool KeepsNegatives => false;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static TVector Finish<TVector>(TVector z, TVector bias, TVector cap) where TVector : unmanaged, ITileVector<TVector> =>
        TVector.Rectify(z + bias, cap);
}

internal readonly struct IdentityOnNonzero : IKernelForm
{
    public static bool KeepsNegatives => true;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static TVector Finish<TVector>(TVector z, TVector bias, TVector cap) where TVector : unmanaged, ITileVector<TVector> =>
        TVector.ZeroWhereZero(z + bias, z);
}

internal readonly struct IdentityAlways : IKernelForm
{
    public static bool KeepsNegatives => true;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static TVector Finish<TVector>(TVector z, TVector bias, TVector cap) where TVector : unmanaged, ITileVector<TVector> => z + bias;
}
