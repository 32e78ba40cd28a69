namespace SpDnn.Model;

/// <summary>What happened in one layer of one inference run.</summary>
/// <param name="Layer">1-based layer number.</param>
/// <param name="LiveImages">Images with a nonzero row after the layer.</param>
/// <param name="DistinctRows">Distinct live rows after the layer (bit-identical rows counted once); -1 when not measured.</param>
/// <param name="Seconds">Wall time of the layer; 0 when not measured per layer.</param>
public readonly record struct LayerStatistics(int Layer, int LiveImages, int DistinctRows, double Seconds);
