namespace SpDnn.Engines.Gpu;

/// <summary>
/// Two consecutive floats, read as one 8-byte access (ILGPU emits ld .v2.f32 for views cast to
/// it; the addresses must be 8-byte aligned).
/// </summary>
internal struct FloatPair
{
    public float X, Y;
}
