using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// One layer in the CPU engine's layouts: the rows of W (CSR) for the sparse-input scatter and
/// its columns (CSC, input indices scaled to the tile stride) for the dense-tile gather. Both
/// keep ascending input order, so every formulation sums in the reference engine's order.
/// </summary>
public sealed class CpuLayerPlan
{
    /// <summary>Rows in a dense tile: one SIMD lane per live row.</summary>
    public const int TileWidth = 16;

    private CpuLayerPlan(int index, CsrMatrix rows, int[] columnOffsets, int[] columnTileOffsets, float[] columnValues, float[] bias)
    {
        Index = index;
        Rows = rows;
        ColumnOffsets = columnOffsets;
        ColumnTileOffsets = columnTileOffsets;
        ColumnValues = columnValues;
        Bias = bias;
    }

    /// <summary>0-based layer index.</summary>
    public int Index { get; }

    public int Neurons => Rows.Columns;

    /// <summary>W by input neuron: row i lists the outputs j that y_i feeds.</summary>
    public CsrMatrix Rows { get; }

    /// <summary>W by output neuron: entries ColumnOffsets[j] .. ColumnOffsets[j+1]-1 feed output j.</summary>
    public int[] ColumnOffsets { get; }

    /// <summary>Input neuron i of each column entry, times <see cref="TileWidth"/> (its offset in a tile).</summary>
    public int[] ColumnTileOffsets { get; }

    public float[] ColumnValues { get; }

    /// <summary>Per-neuron bias, zero-padded to a whole number of tiles for the vector loops.</summary>
    public float[] Bias { get; }

    public long NonZeros => Rows.NonZeros;

    /// <summary>Bytes a plan of a layer with these sizes holds (both layouts and the bias).</summary>
    public static long EstimateBytes(int neurons, long nonZeros) => nonZeros * 16 + (long)neurons * 12 + 256;

    /// <summary><paramref name="neurons"/> rounded up to a multiple of <see cref="TileWidth"/>.</summary>
    public static int PaddedLength(int neurons) => (neurons + TileWidth - 1) / TileWidth * TileWidth;

    public static CpuLayerPlan Build(NetworkLayer layer, int neurons)
    {
        var w = layer.Weights;
        if (w.Rows != neurons || w.Columns != neurons)
            throw new ArgumentException($"Layer {layer.Index + 1} is {w.Rows} x {w.Columns}, expected {neurons} x {neurons}.");
        if (layer.Bias.Length != neurons)
            throw new ArgumentException($"Layer {layer.Index + 1} has {layer.Bias.Length} biases, expected {neurons}.");
        var columns = w.Transpose();
        var tileOffsets = new int[columns.ColumnIndices.Length];
        var inputs = columns.ColumnIndices;
        for (int p = 0; p < tileOffsets.Length; p++) tileOffsets[p] = inputs[p] * TileWidth;
        var bias = new float[PaddedLength(neurons)];
        layer.Bias.CopyTo(bias, 0);
        return new CpuLayerPlan(layer.Index, w, columns.RowOffsets, tileOffsets, columns.Values, bias);
    }
}
