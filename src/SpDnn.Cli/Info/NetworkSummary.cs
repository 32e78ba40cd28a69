using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Cli.Info;

/// <summary>Statistics of a network for <c>spdnn info</c>, gathered layer by layer (in parallel).</summary>
public sealed record NetworkSummary(string Description, int Neurons, int Layers, long TotalWeights, long MinLayerWeights, long MaxLayerWeights,
    int MinRowNonZeros, int MaxRowNonZeros, int MinColumnNonZeros, int MaxColumnNonZeros, float MinValue, float MaxValue, float MinBias, float MaxBias)
{
    public static NetworkSummary Of(ILayerSource network, IProgress<int>? progress = null)
    {
        var layers = new LayerSummary[network.LayerCount];
        int done = 0;
        LayerReading.ForEach(network, (k, layer) =>
        {
            layers[k] = LayerSummary.Of(layer);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new NetworkSummary(network.Description, network.Neurons, layers.Length, layers.Sum(l => l.NonZeros),
            layers.Min(l => l.NonZeros), layers.Max(l => l.NonZeros),
            layers.Min(l => l.MinRow), layers.Max(l => l.MaxRow), layers.Min(l => l.MinColumn), layers.Max(l => l.MaxColumn),
            layers.Min(l => l.MinValue), layers.Max(l => l.MaxValue), layers.Min(l => l.MinBias), layers.Max(l => l.MaxBias));
    }

    public IEnumerable<string> Lines()
    {
        yield return $"network     {Description}";
        yield return $"neurons     {Neurons}";
        yield return $"layers      {Layers}";
        yield return $"weights     {TotalWeights:N0} in all; per layer {MinLayerWeights:N0} .. {MaxLayerWeights:N0}";
        yield return $"row nnz     {MinRowNonZeros} .. {MaxRowNonZeros}";
        yield return $"column nnz  {MinColumnNonZeros} .. {MaxColumnNonZeros}";
        yield return $"values      {MinValue:R} .. {MaxValue:R}";
        yield return $"bias        {MinBias:R} .. {MaxBias:R}";
    }

    private readonly record struct LayerSummary(long NonZeros, int MinRow, int MaxRow, int MinColumn, int MaxColumn,
        float MinValue, float MaxValue, float MinBias, float MaxBias)
    {
        public static LayerSummary Of(NetworkLayer layer)
        {
            var w = layer.Weights;
            int minRow = int.MaxValue, maxRow = 0;
            for (int r = 0; r < w.Rows; r++)
            {
                int length = w.RowLength(r);
                minRow = Math.Min(minRow, length);
                maxRow = Math.Max(maxRow, length);
            }
            var perColumn = new int[w.Columns];
            foreach (int c in w.ColumnIndices) perColumn[c]++;
            float minValue = w.NonZeros > 0 ? float.PositiveInfinity : 0, maxValue = w.NonZeros > 0 ? float.NegativeInfinity : 0;
            foreach (float v in w.Values)
            {
                minValue = MathF.Min(minValue, v);
                maxValue = MathF.Max(maxValue, v);
            }
            return new LayerSummary(w.NonZeros, minRow, maxRow, perColumn.Min(), perColumn.Max(), minValue, maxValue, layer.Bias.Min(), layer.Bias.Max());
        }
    }
}
