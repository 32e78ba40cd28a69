using ILGPU;
using ILGPU.Runtime.CPU;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// One ILGPU context per process for the CPU simulator (one more with profiling on), shared by
/// every simulated device and never disposed: its IR and type caches then compile the engine's
/// kernels once per process rather than once per device (2-core machine: 2.2-3.3 s of compiling
/// per engine without it, 0.3 s with it). ILGPU's contexts are thread-safe.
/// </summary>
internal static class SimulatorContext
{
    private static readonly Lazy<Context> Plain = new(() => Create(profiling: false));
    private static readonly Lazy<Context> Profiling = new(() => Create(profiling: true));

    public static Context Get(bool profiling) => (profiling ? Profiling : Plain).Value;

    private static Context Create(bool profiling) =>
        Context.Create(b => GpuDevice.Profile(b.Optimize(OptimizationLevel.O1).CPU(CPUDeviceKind.Nvidia), profiling));
}
