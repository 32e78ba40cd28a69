using ILGPU;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// What the kernels need of a layer beside its weights: how its sums are finished (bias and
/// activation, <see cref="LayerForm"/>), how many inputs it has, and whether the compaction after
/// it keeps positions whose output is all zero (a later layer adds its bias always and would bring
/// them back). A type argument of the kernels, so each is compiled once per implementation:
/// <see cref="ChallengeLayers"/> is the challenge's form, constant, and compiles to the code the
/// challenge-only engine had; <see cref="GeneralLayers"/> reads each layer's form from the chunk's
/// table. Both are read once per layer, never per multiply-add.
/// </summary>
internal interface IKernelLayerForms<TSelf> where TSelf : struct
{
    /// <summary>The form of network layer <paramref name="layer"/>, planned in table row <paramref name="row"/> (an index of its first entry).</summary>
    TSelf Of(ProgramArgs a, long row, int layer);

    /// <summary>Input neurons of the layer (the rows the resident-input kernel stages).</summary>
    int Inputs(ProgramArgs a);

    /// <summary>One output from its sum and bias, as <see cref="LayerForm.Apply"/> computes it.</summary>
    float Apply(float sum, float bias);

    /// <summary>Whether the compaction after the layer keeps every position, all-zero outputs included.</summary>
    bool KeepsZeroRows { get; }
}

/// <summary>The challenge's layers: square (the network's inputs), bias on nonzero sums, ReLU capped at 32, zero rows dropped.</summary>
internal struct ChallengeLayers : IKernelLayerForms<ChallengeLayers>
{
    public readonly ChallengeLayers Of(ProgramArgs a, long row, int layer) => default;

    public readonly int Inputs(ProgramArgs a) => a.Neurons;

    public readonly float Apply(float sum, float bias) => LayerKernel.Activate(sum, bias);

    public readonly bool KeepsZeroRows => false;
}

/// <summary>Any layer: its inputs, activation, cap and bias mode from the table entry <see cref="LayerChunk.FormEntry"/>.</summary>
internal struct GeneralLayers : IKernelLayerForms<GeneralLayers>
{
    public float Cap;
    public int Flags;
    public int InputCount;
    public bool KeepZeroRows;

    public readonly GeneralLayers Of(ProgramArgs a, long row, int layer)
    {
        long bits = a.Table[row + LayerChunk.FormEntry];
        return new GeneralLayers
        {
            Cap = Interop.IntAsFloat((uint)bits),
            Flags = (int)(bits >> 32) & TableForm.FlagMask,
            InputCount = (int)(bits >> (32 + TableForm.FlagBits)),
            KeepZeroRows = layer < a.ZeroRowsKeptBefore,
        };
    }

    public readonly int Inputs(ProgramArgs a) => InputCount;

    public readonly float Apply(float sum, float bias)
    {
        if ((Flags & TableForm.BiasAlways) == 0 && sum == 0f) return 0f;
        float v = sum + bias;
        if ((Flags & TableForm.Identity) != 0) return v;
        if (v > Cap) v = Cap;
        return v > 0f ? v : 0f;
    }

    public readonly bool KeepsZeroRows => KeepZeroRows;
}

/// <summary>A layer's form as the table entry <see cref="LayerChunk.FormEntry"/> holds it: the cap's float bits in the low word; flags and the inputs in the high word.</summary>
internal static class TableForm
{
    public const int Identity = 1, BiasAlways = 2, FlagBits = 2, FlagMask = (1 << FlagBits) - 1;

    /// <summary>The entry for a layer of <paramref name="inputs"/> inputs and form <paramref name="form"/>.</summary>
    public static long Entry(LayerForm form, int inputs)
    {
        int flags = (form.Activation == Activation.Identity ? Identity : 0) | (form.Bias == BiasMode.Always ? BiasAlways : 0);
        long high = (long)inputs << FlagBits | (uint)flags;
        return high << 32 | (uint)BitConverter.SingleToInt32Bits(form.KernelCap);
    }
}
