namespace SpDnn.Model;

/// <summary>
/// One layer: Y ← act(Y·W + b) as <see cref="Form"/> says; by default the challenge's
/// Y ← min(max(Y·W + b, 0), YMax) with b added only where Y·W is nonzero.
/// <paramref name="Weights"/> is inputs x outputs with row = input neuron, column = output neuron
/// (N x N in the challenge); <paramref name="Bias"/> has one value per output neuron (the
/// challenge uses one constant).
/// </summary>
public sealed record NetworkLayer(int Index, CsrMatrix Weights, float[] Bias)
{
    /// <summary>Activation and bias mode (<see cref="LayerForm.Challenge"/> unless set).</summary>
    public LayerForm Form { get; init; } = LayerForm.Challenge;

    // The weights by output neuron with the Weights they belong to: a copy whose Weights were
    // replaced (a `with`) has none, rather than a stale one.
    private (CsrMatrix Of, CsrMatrix ByOutput)? _outputLists;

    /// <summary>
    /// The weights by output neuron (row j: the inputs of output j in the order its sum adds them,
    /// ascending except in a layer the GPU engine rewrote for distinct rows, with their weights),
    /// where the layer's source made them in that order anyway (the generators); engines that need
    /// that order take it instead of transposing <see cref="Weights"/>. Null when not at hand.
    /// </summary>
    internal CsrMatrix? ByOutput => _outputLists is { } lists && ReferenceEquals(lists.Of, Weights) ? lists.ByOutput : null;

    /// <summary>This layer with <see cref="ByOutput"/> set: <paramref name="byOutput"/> must be <see cref="Weights"/> transposed (a source's own order).</summary>
    internal NetworkLayer WithByOutput(CsrMatrix byOutput)
    {
        if (byOutput.Rows != Weights.Columns || byOutput.Columns != Weights.Rows || byOutput.NonZeros != Weights.NonZeros)
            throw new ArgumentException($"Layer {Index + 1}: the weights by output are {byOutput.Rows} x {byOutput.Columns} with {byOutput.NonZeros} nonzeros, "
                + $"not the transpose of {Weights.Rows} x {Weights.Columns} with {Weights.NonZeros}.", nameof(byOutput));
        return this with { _outputLists = (Weights, byOutput) };
    }

    /// <summary>Output neurons (columns of W).</summary>
    public int Neurons => Weights.Columns;

    /// <summary>Input neurons (rows of W).</summary>
    public int Inputs => Weights.Rows;

    /// <summary>Whether this layer is the challenge's: square, ReLU capped at 32, bias on nonzero sums.</summary>
    public bool IsChallengeForm => Weights.Rows == Weights.Columns && Form == LayerForm.Challenge;

    /// <summary>
    /// Whether an all-zero input row gives an all-zero output row: always when the bias is added
    /// only to nonzero sums, and also when it is added always but every activated bias act(b_j) is
    /// zero (e.g. a ReLU layer whose biases are all ≤ 0). Engines drop such rows as dead only where
    /// every later layer keeps them zero. Reads every bias: ask once per layer.
    /// </summary>
    public bool KeepsZeroRowsZero()
    {
        if (Form.KeepsZeroRowsZero) return true;
        foreach (float b in Bias)
            if (Form.Apply(0f, b) != 0f) return false;
        return true;
    }

    /// <summary>The same bias for every output neuron, as the challenge files imply (their biases are not stored).</summary>
    public static float[] ConstantBias(int neurons, float bias)
    {
        var b = new float[neurons];
        Array.Fill(b, bias);
        return b;
    }
}
