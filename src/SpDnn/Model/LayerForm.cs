namespace SpDnn.Model;

/// <summary>What a layer does to its sums after the products: its activation.</summary>
public enum Activation
{
    /// <summary>max(v, 0).</summary>
    Relu,

    /// <summary>min(max(v, 0), cap): the challenge's form with cap 32.</summary>
    CappedRelu,

    /// <summary>v itself (final logits).</summary>
    Identity,
}

/// <summary>When a layer adds its bias.</summary>
public enum BiasMode
{
    /// <summary>Only where the sum of products is nonzero (the challenge): a zero row stays zero.</summary>
    OnNonzeroSum,

    /// <summary>To every output (standard dense layers): a zero row becomes the activated bias.</summary>
    Always,
}

/// <summary>
/// A layer's semantics beside its weights and bias: y_j = act(z_j + b_j), with z_j the sum of
/// x_i·W(i, j) in ascending i (float32, product then sum), b_j added always or only where z_j is
/// nonzero, and act one of <see cref="Activation"/> (ReLU compares as <c>v &gt; cap ? cap : v</c>,
/// then <c>v &gt; 0 ? v : 0</c>, so NaN ends as 0).
/// </summary>
public readonly record struct LayerForm
{
    private LayerForm(Activation activation, BiasMode bias, float cap)
    {
        Activation = activation;
        Bias = bias;
        Cap = cap;
    }

    /// <summary>What follows the sum and bias.</summary>
    public Activation Activation { get; }

    /// <summary>Whether the bias is added on every output or only where the product is nonzero.</summary>
    public BiasMode Bias { get; }

    /// <summary>The cap of <see cref="Activation.CappedRelu"/>; +∞ for the other activations.</summary>
    public float Cap { get; }

    /// <summary>The challenge's layer: ReLU capped at 32, bias only on nonzero sums.</summary>
    public static LayerForm Challenge { get; } = new(Activation.CappedRelu, BiasMode.OnNonzeroSum, ChallengeSpec.YMax);

    /// <summary>An uncapped ReLU layer (a standard hidden layer).</summary>
    public static LayerForm Relu(BiasMode bias) => new(Activation.Relu, bias, float.PositiveInfinity);

    /// <summary>A layer with no activation (the logits of a classifier).</summary>
    public static LayerForm Identity(BiasMode bias) => new(Activation.Identity, bias, float.PositiveInfinity);

    /// <param name="cap">Positive and finite.</param>
    public static LayerForm CappedRelu(float cap, BiasMode bias)
    {
        if (!(cap > 0) || !float.IsFinite(cap))
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "A ReLU cap must be positive and finite.");
        return new(Activation.CappedRelu, bias, cap);
    }

    /// <summary>Whether an all-zero input row gives an all-zero output row (every activation maps 0 to 0), so it may be dropped for good.</summary>
    public bool KeepsZeroRowsZero => Bias == BiasMode.OnNonzeroSum;

    /// <summary>Whether outputs may be negative (then a row's nonzeros, not its positives, are what it keeps).</summary>
    public bool KeepsNegatives => Activation == Activation.Identity;

    /// <summary>Whether this is a ReLU of either kind.</summary>
    public bool IsRectified => Activation != Activation.Identity;

    /// <summary>The cap the kernels use: the cap of a capped ReLU, +∞ otherwise.</summary>
    public float KernelCap => Activation == Activation.CappedRelu ? Cap : float.PositiveInfinity;

    /// <summary>One float32 output from its sum and bias, as every engine computes it.</summary>
    public float Apply(float sum, float bias)
    {
        if (Bias == BiasMode.OnNonzeroSum && sum == 0f) return 0f;
        float v = sum + bias;
        if (Activation == Activation.Identity) return v;
        if (v > KernelCap) v = KernelCap;
        return v > 0f ? v : 0f;
    }

    /// <summary>The form as layer summaries print it, e.g. <c>relu-cap32, bias on nonzero sums</c>.</summary>
    public override string ToString() => (Activation switch
    {
        Activation.Relu => "relu",
        Activation.CappedRelu => FormattableString.Invariant($"relu-cap{Cap}"),
        _ => "identity",
    }) + (Bias == BiasMode.Always ? ", bias always" : ", bias on nonzero sums");
}
