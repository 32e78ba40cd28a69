using SpDnn.Model;

namespace SpDnn.Engines;

/// <summary>
/// The <see cref="ReadOut.Class"/> answer gathered from final rows: per image the index of its
/// largest output (argmax over all outputs, a missing entry being 0; ties go to the lowest index,
/// and a NaN never wins), and optionally the dense logits. Images never added had an all-zero
/// final row (dropped as dead on the way), so their class is 0 and their logits zero. Every engine
/// uses this one rule, so equal final rows give equal classes.
/// </summary>
internal sealed class ClassReadOut
{
    private readonly int _outputs;
    private readonly float[] _row;

    /// <param name="images">Rows of the batch.</param>
    /// <param name="outputs">Outputs of the last layer.</param>
    /// <param name="keepLogits">Also keep every image's outputs (images x outputs floats).</param>
    public ClassReadOut(int images, int outputs, bool keepLogits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        _outputs = outputs;
        _row = new float[outputs];
        Classes = new int[images];
        Logits = keepLogits ? new float[(long)images * outputs] : null;
    }

    /// <summary>The class of each batch row.</summary>
    public int[] Classes { get; }

    /// <summary>Row-major images x outputs, when kept.</summary>
    public float[]? Logits { get; }

    /// <summary>Records the final row (ascending <paramref name="indices"/>, nonzero values) of batch row <paramref name="row"/>.</summary>
    public void Add(int row, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        var dense = Logits is null ? _row.AsSpan() : Logits.AsSpan((int)((long)row * _outputs), _outputs);
        dense.Clear();
        for (int e = 0; e < indices.Length; e++) dense[indices[e]] = values[e];
        Classes[row] = Argmax(dense);
    }

    /// <summary>The first index of the largest value (strictly greater wins, so ties keep the lowest index).</summary>
    public static int Argmax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++)
            if (values[j] > values[best]) best = j;
        return best;
    }
}
