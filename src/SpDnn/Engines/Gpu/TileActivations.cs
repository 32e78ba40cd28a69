using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>One thread's activations for the <see cref="LayerKernel.Tile"/> positions of a tile, kept in registers while they are written to the output and its copies.</summary>
internal struct TileActivations
{
    public Quad Q0, Q1, Q2, Q3;

    /// <summary>Writes the activations to <paramref name="row"/> as four 16-byte stores.</summary>
    public readonly void Write(ArrayView<Quad> row)
    {
        row[0] = Q0;
        row[1] = Q1;
        row[2] = Q2;
        row[3] = Q3;
    }

    /// <summary>A bit per position whose activation is nonzero.</summary>
    public readonly int Mask() => Mask(Q0) | Mask(Q1) << 4 | Mask(Q2) << 8 | Mask(Q3) << 12;

    private static int Mask(Quad q) => (q.X != 0f ? 1 : 0) | (q.Y != 0f ? 2 : 0) | (q.Z != 0f ? 4 : 0) | (q.W != 0f ? 8 : 0);
}
