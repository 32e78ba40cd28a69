using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A layer as it runs when features keep one row per distinct output (<see cref="DistinctRows"/>):
/// only its representatives' outputs, each reading the rows its inputs are stored in. Every
/// output keeps its entries in the order the reference adds them (ascending by the original
/// input), so its sum is bit-identical; the rows they read then need not ascend, and two entries
/// may read one row. The planners take the lists in that order from <see cref="NetworkLayer.ByOutput"/>.
/// </summary>
internal static class DistinctRowsLayer
{
    /// <param name="layer">The layer as the network gives it.</param>
    /// <param name="lists">Its lists by output (row j: output j, ascending inputs).</param>
    /// <param name="inputs">Where the layer before stores its outputs (null: one row each).</param>
    /// <param name="outputs">Where this layer's outputs go (null: one row each).</param>
    public static NetworkLayer Create(NetworkLayer layer, OutputInputLists lists, DistinctRows? inputs, DistinctRows? outputs)
    {
        int inputCount = inputs?.Count ?? lists.InputCount;
        if (inputs is not null && inputs.Outputs != lists.InputCount)
            throw new ArgumentException($"Layer {layer.Index + 1} has {lists.InputCount} inputs; the layer before stores {inputs.Outputs} outputs.", nameof(inputs));
        int count = outputs?.Count ?? lists.Count;
        var rowOf = inputs?.RowOf;
        // By output: each representative's entries in their order, inputs sent to their rows.
        var outputOffsets = new int[count + 1];
        for (int d = 0; d < count; d++) outputOffsets[d + 1] = outputOffsets[d] + lists.Length(outputs?.Representatives[d] ?? d);
        int nonZeros = outputOffsets[count];
        var outputInputs = new int[nonZeros];
        var outputWeights = new float[nonZeros];
        var inputCounts = new int[inputCount + 1];
        var bias = new float[count];
        for (int d = 0; d < count; d++)
        {
            int output = outputs?.Representatives[d] ?? d;
            bias[d] = layer.Bias[output];
            int at = outputOffsets[d];
            foreach (var e in lists.Entries(output))
            {
                int row = rowOf is null ? e.Input : rowOf[e.Input];
                outputInputs[at] = row;
                outputWeights[at++] = e.Weight;
                inputCounts[row + 1]++;
            }
        }
        // By input (the layer's Weights): a counting sort of the same entries, outputs ascending
        // within a row (one row may hold an output twice: entries that read the same row).
        for (int i = 0; i < inputCount; i++) inputCounts[i + 1] += inputCounts[i];
        var inputOffsets = (int[])inputCounts.Clone();
        var inputOutputs = new int[nonZeros];
        var inputWeights = new float[nonZeros];
        for (int d = 0; d < count; d++)
        {
            for (int at = outputOffsets[d]; at < outputOffsets[d + 1]; at++)
            {
                int place = inputCounts[outputInputs[at]]++;
                inputOutputs[place] = d;
                inputWeights[place] = outputWeights[at];
            }
        }
        var weights = new CsrMatrix(inputCount, count, inputOffsets, inputOutputs, inputWeights);
        var byOutput = new CsrMatrix(count, inputCount, outputOffsets, outputInputs, outputWeights);
        return new NetworkLayer(layer.Index, weights, bias) { Form = layer.Form }.WithByOutput(byOutput);
    }
}
