using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// One layer in the CPU engine's layouts: the rows of W (CSR) for the sparse-input scatter and
/// its columns (CSC, input indices scaled to the tile stride) for the dense-tile gather. Both
/// keep ascending input order, so every formulation sums in the reference engine's order. The
/// layer may be of any shape (inputs x outputs) and form; its <see cref="KernelForm"/> picks the
/// kernels' finish once, here.
/// </summary>
internal sealed class CpuLayerPlan
{
    /// <summary>Rows in a dense tile: one SIMD lane per live row.</summary>
    public const int TileWidth = 16;

    private CpuLayerPlan(int index, LayerForm form, bool keepsZeroRowsZero, int outputs, CsrMatrix rows, int[] columnOffsets, int[] columnTileOffsets, float[] columnValues, float[] bias,
        int[] blockSlots, int[] slotTileOffsets, float[] slotValues, OutputCopies? copies, long layerNonZeros, bool weightsFinite, ColumnGroups? groups)
    {
        Groups = groups;
        WeightsFinite = weightsFinite;
        Form = form;
        KeepsZeroRowsZero = keepsZeroRowsZero;
        KernelForm = KernelForms.Of(form);
        Cap = form.KernelCap;
        Outputs = outputs;
        Copies = copies;
        LayerNonZeros = layerNonZeros;
        BlockSlots = blockSlots;
        SlotTileOffsets = slotTileOffsets;
        SlotValues = slotValues;
        Index = index;
        Rows = rows;
        ColumnOffsets = columnOffsets;
        ColumnTileOffsets = columnTileOffsets;
        ColumnValues = columnValues;
        Bias = bias;
    }

    /// <summary>0-based layer index.</summary>
    public int Index { get; }

    /// <summary>Outputs the kernels compute: the layer's neurons, or its distinct outputs when <see cref="Copies"/> is set.</summary>
    public int Neurons => Rows.Columns;

    /// <summary>Input neurons of the layer (rows of W).</summary>
    public int Inputs => Rows.Rows;

    /// <summary>Output neurons of the layer (columns of W), copies included.</summary>
    public int Outputs { get; }

    /// <summary>The layer's activation and bias mode.</summary>
    public LayerForm Form { get; }

    /// <summary>Whether an empty input row gives an empty output row (<see cref="NetworkLayer.KeepsZeroRowsZero"/>).</summary>
    public bool KeepsZeroRowsZero { get; }

    /// <summary>Which finish the kernels apply (from <see cref="Form"/>).</summary>
    internal KernelForm KernelForm { get; }

    /// <summary>The ReLU cap the kernels use: the layer's cap, +∞ for an uncapped ReLU (unused by identity layers).</summary>
    public float Cap { get; }

    /// <summary>
    /// When outputs equal by construction are merged: which layer outputs each computed output
    /// stands for (the run writes its value to all of them). Null: the kernels compute every output.
    /// </summary>
    public OutputCopies? Copies { get; }

    /// <summary>W by input neuron: row i lists the (computed) outputs j that y_i feeds.</summary>
    public CsrMatrix Rows { get; }

    /// <summary>W by output neuron: entries ColumnOffsets[j] .. ColumnOffsets[j+1]-1 feed output j.</summary>
    public int[] ColumnOffsets { get; }

    /// <summary>Input neuron i of each column entry, times <see cref="TileWidth"/> (its offset in a tile).</summary>
    public int[] ColumnTileOffsets { get; }

    public float[] ColumnValues { get; }

    /// <summary>
    /// W by blocks of 16 output neurons, sliced (ELL): block b owns slots BlockSlots[b] ..
    /// BlockSlots[b+1]-1, and slot s holds, for each of the block's 16 outputs, its next input
    /// (ascending) at SlotTileOffsets[16·s + lane] (as a tile offset) with weight SlotValues[16·s +
    /// lane]; columns shorter than the block's longest are padded with weight 0 on input 0. One
    /// row is then computed 16 outputs at a time with SIMD gathers.
    /// </summary>
    public int[] BlockSlots { get; }
    public int[] SlotTileOffsets { get; }
    public float[] SlotValues { get; }

    /// <summary>The columns grouped for the tile order's gather (<see cref="ColumnGroups"/>); null unless planned for it.</summary>
    public ColumnGroups? Groups { get; }

    /// <summary>Per-neuron bias, zero-padded to a whole number of tiles for the vector loops.</summary>
    public float[] Bias { get; }

    /// <summary>Nonzeros the kernels use (fewer than the layer's when duplicate outputs are merged).</summary>
    public long NonZeros => Rows.NonZeros;

    /// <summary>Nonzeros of the layer.</summary>
    public long LayerNonZeros { get; }

    /// <summary>
    /// Whether every weight is finite. Only then may a kernel multiply a weight by an input that is
    /// zero (a dense tile holds them): w·0 is ±0, which leaves every sum as the reference's, while
    /// ∞·0 is NaN where the reference, skipping zero inputs, adds nothing.
    /// </summary>
    public bool WeightsFinite { get; }

    /// <summary>Bytes a plan of a layer with these sizes holds (both layouts and the bias).</summary>
    public static long EstimateBytes(int neurons, long nonZeros) => nonZeros * 24 + (long)neurons * 12 + 256;

    /// <summary><paramref name="neurons"/> rounded up to a multiple of <see cref="TileWidth"/>.</summary>
    public static int PaddedLength(int neurons) => (neurons + TileWidth - 1) / TileWidth * TileWidth;

    /// <param name="mergeDuplicates">Compute each set of outputs equal by construction once (<see cref="OutputCopies"/>).</param>
    /// <param name="groupColumns">Also lay the columns out for the tile order's gather (<see cref="Groups"/>).</param>
    /// <param name="maxBlockInputs">Most inputs per range of the column groups (<see cref="ColumnGroups.Build"/>); 0: one range.</param>
    public static CpuLayerPlan Build(NetworkLayer layer, bool mergeDuplicates = false, bool groupColumns = false, int maxBlockInputs = 0)
    {
        var w = layer.Weights;
        if (layer.Bias.Length != w.Columns)
            throw new ArgumentException($"Layer {layer.Index + 1} has {layer.Bias.Length} biases, expected {w.Columns}.");
        // By output: as the source made it where it did (the generators), else transposed here.
        var columns = layer.ByOutput ?? w.Transpose();
        var rows = w;
        var layerBias = layer.Bias;
        var copies = mergeDuplicates ? OutputCopies.Find(columns, layer.Bias) : null;
        if (copies is not null)
        {
            // The kernels see a layer of the distinct outputs only: W restricted to them.
            var offsets = new int[copies.Distinct + 1];
            for (int d = 0; d < copies.Distinct; d++) offsets[d + 1] = offsets[d] + columns.RowLength(copies.Representatives[d]);
            var indices = new int[offsets[^1]];
            var values = new float[offsets[^1]];
            layerBias = new float[copies.Distinct];
            for (int d = 0; d < copies.Distinct; d++)
            {
                int j = copies.Representatives[d];
                columns.RowIndices(j).CopyTo(indices.AsSpan(offsets[d]));
                columns.RowValues(j).CopyTo(values.AsSpan(offsets[d]));
                layerBias[d] = layer.Bias[j];
            }
            columns = new CsrMatrix(copies.Distinct, w.Rows, offsets, indices, values);
            rows = columns.Transpose();
        }
        int outputs = columns.Rows;
        var tileOffsets = new int[columns.ColumnIndices.Length];
        var inputs = columns.ColumnIndices;
        for (int p = 0; p < tileOffsets.Length; p++) tileOffsets[p] = inputs[p] * TileWidth;
        var bias = new float[PaddedLength(outputs)];
        layerBias.CopyTo(bias, 0);
        var (blockSlots, slotOffsets, slotValues) = Slice(columns.RowOffsets, tileOffsets, columns.Values, outputs);
        return new CpuLayerPlan(layer.Index, layer.Form, layer.KeepsZeroRowsZero(), w.Columns, rows, columns.RowOffsets, tileOffsets, columns.Values, bias, blockSlots, slotOffsets, slotValues,
            copies, w.NonZeros, AllFinite(w.Values), groupColumns ? ColumnGroups.Build(columns, layerBias, w.Rows, maxBlockInputs) : null);
    }

    private static bool AllFinite(float[] values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }

    private static (int[] BlockSlots, int[] TileOffsets, float[] Values) Slice(int[] offsets, int[] tileOffsets, float[] values, int neurons)
    {
        int blocks = PaddedLength(neurons) / TileWidth;
        var blockSlots = new int[blocks + 1];
        for (int b = 0; b < blocks; b++)
        {
            int longest = 0;
            for (int j = b * TileWidth; j < Math.Min(neurons, (b + 1) * TileWidth); j++) longest = Math.Max(longest, offsets[j + 1] - offsets[j]);
            blockSlots[b + 1] = blockSlots[b] + longest;
        }
        var slotOffsets = new int[(long)blockSlots[blocks] * TileWidth];
        var slotValues = new float[slotOffsets.Length];
        for (int b = 0; b < blocks; b++)
        {
            for (int j = b * TileWidth; j < Math.Min(neurons, (b + 1) * TileWidth); j++)
            {
                int lane = j - b * TileWidth;
                for (int p = offsets[j], s = blockSlots[b]; p < offsets[j + 1]; p++, s++)
                {
                    slotOffsets[s * TileWidth + lane] = tileOffsets[p];
                    slotValues[s * TileWidth + lane] = values[p];
                }
            }
        }
        return (blockSlots, slotOffsets, slotValues);
    }
}
