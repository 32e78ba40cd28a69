namespace SpDnn.Engines.Gpu;

/// <summary>
/// Four consecutive floats, read and written as one 16-byte access (ILGPU emits ld/st .v4.f32
/// for views cast to it; the addresses must be 16-byte aligned).
/// </summary>
internal struct Quad
{
    public float X, Y, Z, W;
}
