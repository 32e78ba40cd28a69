using static SpDnn.Engines.Gpu.TiledLayout;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Four consecutive warp rows of one lane's slots (stage-local input index and weight each),
/// loaded together so that their global loads are in flight at once.
/// </summary>
internal struct SlotQuad
{
    public int I0, I1, I2, I3;
    public float W0, W1, W2, W3;

    /// <summary>The slots at <paramref name="p"/>, p + 32, p + 64 and p + 96 (one warp row apart).</summary>
    public static SlotQuad Load(ProgramArgs a, long p) => new()
    {
        I0 = a.SlotIndex[p],
        W0 = a.SlotValue[p],
        I1 = a.SlotIndex[p + WarpSize],
        W1 = a.SlotValue[p + WarpSize],
        I2 = a.SlotIndex[p + 2 * WarpSize],
        W2 = a.SlotValue[p + 2 * WarpSize],
        I3 = a.SlotIndex[p + 3 * WarpSize],
        W3 = a.SlotValue[p + 3 * WarpSize],
    };
}
