using SpDnn.Engines;
using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

/// <summary>The common engine contract, with the real kernels run on ILGPU's CPU simulator.</summary>
public sealed class GpuEngineTests : EngineConformanceTests
{
    protected override IInferenceEngine CreateEngine() => new GpuEngine(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator });

    // The simulator is far slower than the real device: fewer seeds than the fast engines.
    protected override int RandomSeeds => 4;

    protected override int RandomImages => 32;
}
