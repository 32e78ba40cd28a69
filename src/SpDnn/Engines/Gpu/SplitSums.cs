using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A type argument of <see cref="SplitColumnKernel"/>: how many lanes share an output (P), the
/// sums of a lane's P outputs (one quad of columns each), and how a lane group's P slots of a
/// warp row are read.
/// </summary>
/// <typeparam name="TSelf">The sums.</typeparam>
/// <typeparam name="TRow">A lane group's P slots of one warp row.</typeparam>
internal interface ISplitSums<TSelf, TRow>
    where TSelf : struct
    where TRow : struct
{
    /// <summary>Lanes an output (P), and outputs a lane.</summary>
    int Lanes { get; }

    /// <summary>The P slots from <paramref name="slot"/> on (a multiple of P; a chunk's slots are fewer than 2^31, LayerChunk checks it: 32-bit offsets take fewer instructions).</summary>
    TRow Load(ProgramArgs a, int slot);

    /// <summary>Adds each output's slot of <paramref name="row"/>: its input i's quad, <paramref name="mine"/>[i * P] (this lane's quad of the P staged an input), times its weight.</summary>
    TSelf Add<TSum>(TSum add, TRow row, ArrayView<Quad> mine) where TSum : struct, IProductSum;

    /// <summary>Writes the activations of threads <paramref name="thread"/> + s * (32 / P) (s = 0 .. P-1); returns the nonzero columns as tile bits.</summary>
    int Finish<TForms>(ProgramArgs a, LayerBases layer, TForms form, SplitTarget target, long thread) where TForms : struct, IKernelLayerForms<TForms>;
}

/// <summary>Four 16-bit input indices and their weights: one slot each of four outputs.</summary>
internal struct FourSlots
{
    public uint Inputs01, Inputs23;
    public Quad Weights;
}

/// <summary>Four lanes an output: tiles of 16 columns.</summary>
internal struct FourLaneSums : ISplitSums<FourLaneSums, FourSlots>
{
    public Quad S0, S1, S2, S3;

    public readonly int Lanes => 4;

    public readonly FourSlots Load(ProgramArgs a, int slot)
    {
        var inputs = a.SlotIndex.Cast<IndexQuad>()[slot / 4];
        return new FourSlots { Inputs01 = inputs.Low, Inputs23 = inputs.High, Weights = a.SlotValue.Cast<Quad>()[slot / 4] };
    }

    public readonly FourLaneSums Add<TSum>(TSum add, FourSlots row, ArrayView<Quad> mine) where TSum : struct, IProductSum => new()
    {
        S0 = QuadSums.AddQuad(add, S0, mine[(int)(row.Inputs01 & 0xFFFF) * 4], row.Weights.X),
        S1 = QuadSums.AddQuad(add, S1, mine[(int)(row.Inputs01 >> 16) * 4], row.Weights.Y),
        S2 = QuadSums.AddQuad(add, S2, mine[(int)(row.Inputs23 & 0xFFFF) * 4], row.Weights.Z),
        S3 = QuadSums.AddQuad(add, S3, mine[(int)(row.Inputs23 >> 16) * 4], row.Weights.W),
    };

    public readonly int Finish<TForms>(ProgramArgs a, LayerBases layer, TForms form, SplitTarget target, long thread) where TForms : struct, IKernelLayerForms<TForms> =>
        target.Finish(a, layer, form, thread, S0) | target.Finish(a, layer, form, thread + 8, S1)
        | target.Finish(a, layer, form, thread + 16, S2) | target.Finish(a, layer, form, thread + 24, S3);
}

/// <summary>Eight 16-bit input indices and their weights: one slot each of eight outputs.</summary>
internal struct EightSlots
{
    public IndexOctet Inputs;
    public Quad Low, High;
}

/// <summary>Eight lanes an output: tiles of 32 columns, a staged input's 128 bytes one wavefront.</summary>
internal struct EightLaneSums : ISplitSums<EightLaneSums, EightSlots>
{
    public Quad S0, S1, S2, S3, S4, S5, S6, S7;

    public readonly int Lanes => 8;

    public readonly EightSlots Load(ProgramArgs a, int slot)
    {
        var weights = a.SlotValue.Cast<Quad>();
        return new EightSlots { Inputs = a.SlotIndex.Cast<IndexOctet>()[slot / 8], Low = weights[slot / 4], High = weights[slot / 4 + 1] };
    }

    public readonly EightLaneSums Add<TSum>(TSum add, EightSlots row, ArrayView<Quad> mine) where TSum : struct, IProductSum => new()
    {
        S0 = QuadSums.AddQuad(add, S0, mine[(int)(row.Inputs.A & 0xFFFF) * 8], row.Low.X),
        S1 = QuadSums.AddQuad(add, S1, mine[(int)(row.Inputs.A >> 16) * 8], row.Low.Y),
        S2 = QuadSums.AddQuad(add, S2, mine[(int)(row.Inputs.B & 0xFFFF) * 8], row.Low.Z),
        S3 = QuadSums.AddQuad(add, S3, mine[(int)(row.Inputs.B >> 16) * 8], row.Low.W),
        S4 = QuadSums.AddQuad(add, S4, mine[(int)(row.Inputs.C & 0xFFFF) * 8], row.High.X),
        S5 = QuadSums.AddQuad(add, S5, mine[(int)(row.Inputs.C >> 16) * 8], row.High.Y),
        S6 = QuadSums.AddQuad(add, S6, mine[(int)(row.Inputs.D & 0xFFFF) * 8], row.High.Z),
        S7 = QuadSums.AddQuad(add, S7, mine[(int)(row.Inputs.D >> 16) * 8], row.High.W),
    };

    public readonly int Finish<TForms>(ProgramArgs a, LayerBases layer, TForms form, SplitTarget target, long thread) where TForms : struct, IKernelLayerForms<TForms> =>
        target.Finish(a, layer, form, thread, S0) | target.Finish(a, layer, form, thread + 4, S1)
        | target.Finish(a, layer, form, thread + 8, S2) | target.Finish(a, layer, form, thread + 12, S3)
        | target.Finish(a, layer, form, thread + 16, S4) | target.Finish(a, layer, form, thread + 20, S5)
        | target.Finish(a, layer, form, thread + 24, S6) | target.Finish(a, layer, form, thread + 28, S7);
}

/// <summary>Four 16-bit input indices read as one 8-byte vector.</summary>
internal struct IndexQuad
{
    public uint Low, High;
}
