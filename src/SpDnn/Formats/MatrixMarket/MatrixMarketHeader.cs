namespace SpDnn.Formats;

/// <summary>The value type of a Matrix Market coordinate file.</summary>
internal enum MatrixMarketField
{
    Real,
    Integer,
    Pattern,
}

/// <summary>What the banner and size line of a Matrix Market coordinate file say.</summary>
/// <param name="Symmetric">Only one triangle is stored; the reader adds the mirror of each off-diagonal entry.</param>
internal sealed record MatrixMarketHeader(MatrixMarketField Field, bool Symmetric, int Rows, int Columns, long Entries)
{
    public string Banner =>
        $"%%MatrixMarket matrix coordinate {Field.ToString().ToLowerInvariant()} {(Symmetric ? "symmetric" : "general")}";
}
