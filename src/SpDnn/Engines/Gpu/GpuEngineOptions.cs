namespace SpDnn.Engines.Gpu;

/// <summary>Which accelerator the GPU engine runs its kernels on.</summary>
public enum GpuAcceleratorChoice
{
    /// <summary>The CUDA device <see cref="GpuEngineOptions.DeviceIndex"/>; fails when there is none.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator: the same kernels, simulated on the CPU (tests only; slow).</summary>
    CpuSimulator,
}

/// <summary>Settings of the GPU engine; the defaults are what a user wants.</summary>
public sealed record GpuEngineOptions
{
    public GpuAcceleratorChoice Accelerator { get; init; } = GpuAcceleratorChoice.Cuda;

    /// <summary>Which CUDA device (0-based, in CUDA's order) when several are present.</summary>
    public int DeviceIndex { get; init; }

    /// <summary>Merge bit-identical live rows and compute each once (exact).</summary>
    public bool CollapseIdenticalRows { get; init; } = true;

    /// <summary>
    /// Device memory the engine may use, in bytes; 0 means 90% of the device's free memory.
    /// Images that do not fit next to the plan run in several batches.
    /// </summary>
    public long DeviceMemoryBudget { get; init; }

    /// <summary>Record each layer's wall time (synchronises the device after every layer).</summary>
    public bool TimeEachLayer { get; init; }
}
