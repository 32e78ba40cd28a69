using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// One thread's sums for the <see cref="LayerKernel.Tile"/> live positions of a tile (one output
/// neuron each). A value type passed and returned whole, so ILGPU keeps it in registers.
/// </summary>
internal struct TileSums
{
    public float S0;
    public float S1;
    public float S2;
    public float S3;
    public float S4;
    public float S5;
    public float S6;
    public float S7;
    public float S8;
    public float S9;
    public float S10;
    public float S11;
    public float S12;
    public float S13;
    public float S14;
    public float S15;

    /// <summary>
    /// Adds w times the staged input at <paramref name="input"/> (its Tile positions as four
    /// 16-byte quads: four shared loads instead of sixteen) to every sum, in position order.
    /// </summary>
    public static TileSums AddInput<TSum>(TSum sum, TileSums s, ArrayView<Quad> input, float w) where TSum : struct, IProductSum
    {
        Quad c0 = input[0], c1 = input[1], c2 = input[2], c3 = input[3];
        s.S0 = sum.Add(s.S0, c0.X, w);
        s.S1 = sum.Add(s.S1, c0.Y, w);
        s.S2 = sum.Add(s.S2, c0.Z, w);
        s.S3 = sum.Add(s.S3, c0.W, w);
        s.S4 = sum.Add(s.S4, c1.X, w);
        s.S5 = sum.Add(s.S5, c1.Y, w);
        s.S6 = sum.Add(s.S6, c1.Z, w);
        s.S7 = sum.Add(s.S7, c1.W, w);
        s.S8 = sum.Add(s.S8, c2.X, w);
        s.S9 = sum.Add(s.S9, c2.Y, w);
        s.S10 = sum.Add(s.S10, c2.Z, w);
        s.S11 = sum.Add(s.S11, c2.W, w);
        s.S12 = sum.Add(s.S12, c3.X, w);
        s.S13 = sum.Add(s.S13, c3.Y, w);
        s.S14 = sum.Add(s.S14, c3.Z, w);
        s.S15 = sum.Add(s.S15, c3.W, w);
        return s;
    }

    /// <summary>The activations of the sums as the layer's form finishes them (the challenge's: bias on nonzero sums, ReLU, cap), as four quads.</summary>
    public readonly TileActivations Activations<TForms>(TForms form, float bias) where TForms : struct, IKernelLayerForms<TForms> => new()
    {
        Q0 = new Quad { X = form.Apply(S0, bias), Y = form.Apply(S1, bias), Z = form.Apply(S2, bias), W = form.Apply(S3, bias) },
        Q1 = new Quad { X = form.Apply(S4, bias), Y = form.Apply(S5, bias), Z = form.Apply(S6, bias), W = form.Apply(S7, bias) },
        Q2 = new Quad { X = form.Apply(S8, bias), Y = form.Apply(S9, bias), Z = form.Apply(S10, bias), W = form.Apply(S11, bias) },
        Q3 = new Quad { X = form.Apply(S12, bias), Y = form.Apply(S13, bias), Z = form.Apply(S14, bias), W = form.Apply(S15, bias) },
    };
}
