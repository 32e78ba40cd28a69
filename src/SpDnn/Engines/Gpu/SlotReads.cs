namespace SpDnn.Engines.Gpu;

/// <summary>How the resident-input and tail kernels read their weight rows.</summary>
internal enum SlotReads
{
    /// <summary>A warp row's 32 slots together, one scalar load a row and lane (<see cref="GpuEngineOptions.VectorSlots"/> off).</summary>
    Scalar,

    /// <summary>A lane's slots four rows together, read as vectors (<see cref="VectorSlotRows"/>), eight rows ahead for tiles of up to four columns.</summary>
    Vector,
}
