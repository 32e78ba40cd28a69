using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// One thread's sums of one output neuron over the live columns of a tile of
/// <see cref="ResidentInputKernel"/>, kept in registers (a value type passed and returned whole).
/// The stage holds every input neuron's values for the tile's columns contiguously
/// (input i at i * Pitch), so one input is read with vector loads where the width allows.
/// A type argument of the kernel, so each tile width is its own kernel without branches.
/// </summary>
internal interface IColumnSums<TSelf> where TSelf : struct
{
    /// <summary>Live columns per tile.</summary>
    int Columns { get; }

    /// <summary>
    /// Floats per staged input (Columns, or more): a pitch that spreads random inputs' vector
    /// reads over all shared-memory banks (16 floats at pitch 16 would use two of the eight
    /// 16-byte bank groups; pitch 20 uses all of them).
    /// </summary>
    int Pitch { get; }

    /// <summary>Adds w times input <paramref name="input"/>'s staged values to the sums, column by column.</summary>
    TSelf Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum;

    /// <summary>The activations of the sums as the layer's form finishes them (the challenge's: bias on nonzero sums, ReLU, cap).</summary>
    TSelf Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms>;

    /// <summary>
    /// Writes the values of the first <paramref name="valid"/> columns to output[at ..] (at is a
    /// multiple of Columns and 16-byte aligned where Columns divides 16; those widths write
    /// whole vectors, as the feature stride leaves room for them).
    /// </summary>
    void Write(ArrayView<float> output, long at, int valid);

    /// <summary>Sums as <see cref="Write"/> left them at output[at ..] (columns past <paramref name="valid"/>: +0 where not written).</summary>
    TSelf Read(ArrayView<float> output, long at, int valid);

    /// <summary>A bit per column whose value is nonzero.</summary>
    int Mask();
}

/// <summary>Two columns (N up to about 29000 in the stage).</summary>
internal struct PairSums : IColumnSums<PairSums>
{
    public float S0, S1;

    public readonly int Columns => 2;

    public readonly int Pitch => 2;

    public PairSums Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum
    {
        var values = stage.SubView(input * 2);
        return new PairSums { S0 = sum.Add(S0, values[0], w), S1 = sum.Add(S1, values[1], w) };
    }

    public readonly PairSums Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> =>
        new() { S0 = form.Apply(S0, bias), S1 = form.Apply(S1, bias) };

    public readonly void Write(ArrayView<float> output, long at, int valid)
    {
        output[at] = S0;
        if (valid > 1) output[at + 1] = S1;
    }

    public readonly PairSums Read(ArrayView<float> output, long at, int valid) =>
        new() { S0 = output[at], S1 = valid > 1 ? output[at + 1] : 0f };

    public readonly int Mask() => (S0 != 0f ? 1 : 0) | (S1 != 0f ? 2 : 0);
}

/// <summary>
/// Three columns, read as scalars (N up to about 19000 in the stage): a pitch of three floats
/// puts random inputs on all 32 banks, and the stage of N = 16384 fits in 196 KB.
/// </summary>
internal struct TripleSums : IColumnSums<TripleSums>
{
    public float S0, S1, S2;

    public readonly int Columns => 3;

    public readonly int Pitch => 3;

    public TripleSums Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum
    {
        var values = stage.SubView(input * 3);
        return new TripleSums { S0 = sum.Add(S0, values[0], w), S1 = sum.Add(S1, values[1], w), S2 = sum.Add(S2, values[2], w) };
    }

    public readonly TripleSums Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> =>
        new() { S0 = form.Apply(S0, bias), S1 = form.Apply(S1, bias), S2 = form.Apply(S2, bias) };

    public readonly void Write(ArrayView<float> output, long at, int valid)
    {
        // Three does not divide the feature stride: columns past the live ones may lie past the row.
        output[at] = S0;
        if (valid > 1) output[at + 1] = S1;
        if (valid > 2) output[at + 2] = S2;
    }

    public readonly TripleSums Read(ArrayView<float> output, long at, int valid) =>
        new() { S0 = output[at], S1 = valid > 1 ? output[at + 1] : 0f, S2 = valid > 2 ? output[at + 2] : 0f };

    public readonly int Mask() => (S0 != 0f ? 1 : 0) | (S1 != 0f ? 2 : 0) | (S2 != 0f ? 4 : 0);
}

/// <summary>Four columns: one 16-byte shared load per input.</summary>
internal struct QuadSums : IColumnSums<QuadSums>
{
    public Quad Q;

    public readonly int Columns => 4;

    public readonly int Pitch => 4;

    public QuadSums Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum =>
        new() { Q = AddQuad(sum, Q, stage.Cast<Quad>()[input], w) };

    public readonly QuadSums Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> => new() { Q = ActivateQuad(form, Q, bias) };

    public readonly void Write(ArrayView<float> output, long at, int valid) => output.Cast<Quad>().SubView(at / 4, 1).AsAligned16()[0] = Q;

    public readonly QuadSums Read(ArrayView<float> output, long at, int valid) => new() { Q = output.Cast<Quad>().SubView(at / 4, 1).AsAligned16()[0] };

    public readonly int Mask() => QuadMask(Q);

    public static Quad AddQuad<TSum>(TSum sum, Quad s, Quad y, float w) where TSum : struct, IProductSum => new()
    {
        X = sum.Add(s.X, y.X, w),
        Y = sum.Add(s.Y, y.Y, w),
        Z = sum.Add(s.Z, y.Z, w),
        W = sum.Add(s.W, y.W, w),
    };

    public static Quad ActivateQuad<TForms>(TForms form, Quad s, float bias) where TForms : struct, IKernelLayerForms<TForms> => new()
    {
        X = form.Apply(s.X, bias),
        Y = form.Apply(s.Y, bias),
        Z = form.Apply(s.Z, bias),
        W = form.Apply(s.W, bias),
    };

    public static int QuadMask(Quad q) => (q.X != 0f ? 1 : 0) | (q.Y != 0f ? 2 : 0) | (q.Z != 0f ? 4 : 0) | (q.W != 0f ? 8 : 0);
}

/// <summary>Eight columns: two 16-byte shared loads per input.</summary>
internal struct OctetSums : IColumnSums<OctetSums>
{
    public Quad Q0, Q1;

    public readonly int Columns => 8;

    public readonly int Pitch => 12;

    public OctetSums Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum
    {
        var values = stage.Cast<Quad>().SubView(input * 3);
        return new OctetSums { Q0 = QuadSums.AddQuad(sum, Q0, values[0], w), Q1 = QuadSums.AddQuad(sum, Q1, values[1], w) };
    }

    public readonly OctetSums Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> =>
        new() { Q0 = QuadSums.ActivateQuad(form, Q0, bias), Q1 = QuadSums.ActivateQuad(form, Q1, bias) };

    public readonly void Write(ArrayView<float> output, long at, int valid)
    {
        var row = output.Cast<Quad>().SubView(at / 4, 2).AsAligned16();
        row[0] = Q0;
        row[1] = Q1;
    }

    public readonly OctetSums Read(ArrayView<float> output, long at, int valid)
    {
        var row = output.Cast<Quad>().SubView(at / 4, 2).AsAligned16();
        return new OctetSums { Q0 = row[0], Q1 = row[1] };
    }

    public readonly int Mask() => QuadSums.QuadMask(Q0) | QuadSums.QuadMask(Q1) << 4;
}

/// <summary>Sixteen columns: four 16-byte shared loads per input.</summary>
internal struct SixteenSums : IColumnSums<SixteenSums>
{
    public Quad Q0, Q1, Q2, Q3;

    public readonly int Columns => 16;

    public readonly int Pitch => 20;

    public SixteenSums Add<TSum>(TSum sum, ArrayView<float> stage, int input, float w) where TSum : struct, IProductSum
    {
        var values = stage.Cast<Quad>().SubView(input * 5);
        return new SixteenSums
        {
            Q0 = QuadSums.AddQuad(sum, Q0, values[0], w),
            Q1 = QuadSums.AddQuad(sum, Q1, values[1], w),
            Q2 = QuadSums.AddQuad(sum, Q2, values[2], w),
            Q3 = QuadSums.AddQuad(sum, Q3, values[3], w),
        };
    }

    public readonly SixteenSums Activated<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> => new()
    {
        Q0 = QuadSums.ActivateQuad(form, Q0, bias),
        Q1 = QuadSums.ActivateQuad(form, Q1, bias),
        Q2 = QuadSums.ActivateQuad(form, Q2, bias),
        Q3 = QuadSums.ActivateQuad(form, Q3, bias),
    };

    public readonly void Write(ArrayView<float> output, long at, int valid)
    {
        var row = output.Cast<Quad>().SubView(at / 4, 4).AsAligned16();
        row[0] = Q0;
        row[1] = Q1;
        row[2] = Q2;
        row[3] = Q3;
    }

    public readonly SixteenSums Read(ArrayView<float> output, long at, int valid)
    {
        var row = output.Cast<Quad>().SubView(at / 4, 4).AsAligned16();
        return new SixteenSums { Q0 = row[0], Q1 = row[1], Q2 = row[2], Q3 = row[3] };
    }

    public readonly int Mask() =>
        QuadSums.QuadMask(Q0) | QuadSums.QuadMask(Q1) << 4 | QuadSums.QuadMask(Q2) << 8 | QuadSums.QuadMask(Q3) << 12;
}
