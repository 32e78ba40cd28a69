using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A layer's transpose in pooled buffers: for each output neuron its inputs, ascending, and their
/// weights. The planner only reads it, so it need not be a <see cref="CsrMatrix"/> of fresh arrays
/// (16 MB per N=65536 challenge layer); dispose to give the buffers back.
/// </summary>
internal sealed class OutputInputLists : IDisposable
{
    private int[] _offsets;
    private int[] _inputs;
    private float[] _weights;

    public OutputInputLists(CsrMatrix weights)
    {
        Count = weights.Columns;
        _offsets = ArrayPool<int>.Shared.Rent(Count + 1);
        _inputs = ArrayPool<int>.Shared.Rent(weights.ColumnIndices.Length);
        _weights = ArrayPool<float>.Shared.Rent(weights.ColumnIndices.Length);
        CsrTranspose.Write(weights, _offsets, _inputs, _weights);
    }

    /// <summary>Output neurons.</summary>
    public int Count { get; }

    public ReadOnlySpan<int> Inputs(int output) => _inputs.AsSpan(_offsets[output], _offsets[output + 1] - _offsets[output]);

    public ReadOnlySpan<float> Weights(int output) => _weights.AsSpan(_offsets[output], _offsets[output + 1] - _offsets[output]);

    public int Length(int output) => _offsets[output + 1] - _offsets[output];

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_offsets);
        ArrayPool<int>.Shared.Return(_inputs);
        ArrayPool<float>.Shared.Return(_weights);
        _offsets = _inputs = [];
        _weights = [];
    }
}
