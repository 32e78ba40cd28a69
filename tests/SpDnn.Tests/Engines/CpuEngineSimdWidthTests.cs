using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Tests.Engines;

/// <summary>
/// The CPU engine with each SIMD width forced, so every width is tested on any machine (one the
/// machine lacks runs through .NET's software fallback: slowly, but it must give the same bits).
/// </summary>
public abstract class CpuEngineSimdWidthTests : EngineConformanceTests
{
    protected abstract CpuSimd Simd { get; }

    /// <summary>Whether this machine runs the width in hardware.</summary>
    protected abstract bool IsHardwareAccelerated { get; }

    /// <summary>How Details["simd"] names the width.</summary>
    protected abstract string ReportedName { get; }

    /// <summary>Fewer seeds than the default engine's: the width changes only how lanes are held.</summary>
    protected override int RandomSeeds => 20;

    protected override IInferenceEngine CreateEngine() => new CpuEngine(new CpuEngineOptions { Simd = Simd });

    [Theory]
    [InlineData(CpuFormulation.Auto)]
    [InlineData(CpuFormulation.SparseInput)]
    [InlineData(CpuFormulation.DenseTile)]
    public void GeneralRandomNetworksGiveTheReferenceBits(CpuFormulation formulation)
    {
        using var engine = new CpuEngine(new CpuEngineOptions { Simd = Simd, Formulation = formulation });
        CpuEngineTests.AssertReferenceBitsOnRandomNetworks(engine, new InferenceOptions { KeepFinalFeatures = true },
            $"{Simd}, {formulation}", seeds: 16);
    }

    [Fact]
    public void ReportsTheWidthAndRunsTheRowKernelOnlyWithVector512()
    {
        // Images that saturate and collapse into one row, which the AVX-512 row kernel computes;
        // narrower widths compute it as a tile, as a machine without AVX-512 does.
        var network = CpuEngineTests.ChallengeLikeNetwork(neurons: 128, layers: 24, seed: 5);
        var images = CpuEngineTests.Repeat(RandomNetworkGenerator.RandomImages(5, 40, 128, 0.3), copies: 2);
        var expected = RunReference(network, images);
        using var engine = new CpuEngine(new CpuEngineOptions { Simd = Simd });
        var result = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        CpuEngineTests.AssertSameAsReference(expected, result, Simd.ToString());
        Assert.Equal(IsHardwareAccelerated ? ReportedName : ReportedName + " (emulated)", result.Details["simd"]);
        bool rowKernel = Simd == CpuSimd.Vector512 && Avx512F.IsSupported && Avx2.IsSupported;
        Assert.Equal(rowKernel, long.Parse(result.Details["row-kernel tiles"]) > 0);
        Assert.Equal("cpu:simd=" + Simd.ToString().ToLowerInvariant(), engine.Name);
    }
}

public sealed class CpuEngineVector512Tests : CpuEngineSimdWidthTests
{
    protected override CpuSimd Simd => CpuSimd.Vector512;
    protected override bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;
    protected override string ReportedName => "Vector512";
}

public sealed class CpuEngineVector256Tests : CpuEngineSimdWidthTests
{
    protected override CpuSimd Simd => CpuSimd.Vector256;
    protected override bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;
    protected override string ReportedName => "Vector256 (2 per tile)";
}

public sealed class CpuEngineVector128Tests : CpuEngineSimdWidthTests
{
    protected override CpuSimd Simd => CpuSimd.Vector128;
    protected override bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;
    protected override string ReportedName => "Vector128 (4 per tile)";
}

public sealed class CpuSimdChoiceTests
{
    [Fact]
    public void AutoPicksTheWidestWidthTheMachineRunsInHardware()
    {
        var expected = Vector512.IsHardwareAccelerated ? CpuSimd.Vector512
            : Vector256.IsHardwareAccelerated ? CpuSimd.Vector256
            : CpuSimd.Vector128;
        Assert.Equal(expected, LayerKernels.Resolve(CpuSimd.Auto));
        Assert.Equal(CpuSimd.Vector128, LayerKernels.Resolve(CpuSimd.Vector128));
        using var engine = new CpuEngine();
        var result = engine.Infer(CpuEngineTests.ChallengeLikeNetwork(64, 3, seed: 1), RandomNetworkGenerator.RandomImages(1, 5, 64, 0.3));
        Assert.DoesNotContain("emulated", result.Details["simd"]);
        Assert.Equal("cpu", engine.Name);
    }
}
