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

    /// <summary>Output neurons (columns of W).</summary>
    public int Neurons => Weights.Columns;

    /// <summary>Input neurons (rows of W).</summary>
    public int Inputs => Weights.Rows;

    /// <summary>Whether this layer is the challenge's: square, ReLU capped at 32, bias on nonzero sums.</summary>
    public bool IsChallengeForm => Weights.Rows == Weights.Columns && Form == LayerForm.Challenge;

    public static float[] ConstantBias(int neurons, float bias)
    {
        var b = new float[neurons];
        Array.Fill(b, bias);
        return b;
    }
}
