namespace SpDnn.Model;

/// <summary>
/// One layer: Y ← min(max(Y·W + b, 0), YMax) with b added only where Y·W is nonzero.
/// <paramref name="Weights"/> is N x N with row = input neuron, column = output neuron;
/// <paramref name="Bias"/> has one value per output neuron (the challenge uses one constant).
/// </summary>
public sealed record NetworkLayer(int Index, CsrMatrix Weights, float[] Bias)
{
    public int Neurons => Weights.Columns;

    public static float[] ConstantBias(int neurons, float bias)
    {
        var b = new float[neurons];
        Array.Fill(b, bias);
        return b;
    }
}
