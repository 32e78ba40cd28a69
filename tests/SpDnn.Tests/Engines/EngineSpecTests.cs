using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines;

public sealed class EngineSpecTests
{
    [Fact]
    public void GpuSettingsAreReadAndNamedBackInReports()
    {
        var options = GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu:weights=streamed:chunk=16:collapse=off:fused=off:device=1"));
        Assert.Equal(WeightResidency.Streamed, options.Weights);
        Assert.Equal(16, options.LayersPerChunk);
        Assert.False(options.CollapseIdenticalRows);
        Assert.False(options.FusedProducts);
        Assert.Equal(1, options.DeviceIndex);
        Assert.Equal(":weights=streamed:chunk=16:collapse=off:fused=off", options.SpecSuffix());
        Assert.Equal("", GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu")).SpecSuffix());
        Assert.True(GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu")).VectorSlots);
        var scalarSlots = GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu:vector-slots=off"));
        Assert.False(scalarSlots.VectorSlots);
        Assert.Equal(":vector-slots=off", scalarSlots.SpecSuffix());
        Assert.False(GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu")).StageCopies);
        Assert.Equal(":stage-copies=on", GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu:stage-copies=on")).SpecSuffix());
    }

    [Fact]
    public void DedupeSettingsAreReadAndNamedBackInReports()
    {
        var gpu = GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu:dedupe=auto"));
        Assert.Equal(DuplicateOutputMerge.Auto, gpu.MergeDuplicateOutputs);
        Assert.Equal(":dedupe=auto", gpu.SpecSuffix());
        Assert.Equal(DuplicateOutputMerge.Off, GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu")).MergeDuplicateOutputs);
        Assert.Throws<SpDnnUsageException>(() => GpuEngineOptions.FromSpec(EngineSpec.Parse("gpu:dedupe=sometimes")));
        var cpu = CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:dedupe=off"));
        Assert.False(cpu.MergeDuplicateOutputs);
        Assert.Equal(":dedupe=off", cpu.SpecSuffix());
        Assert.True(CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu")).MergeDuplicateOutputs);
    }

    [Theory]
    [InlineData("gpu:weights=sideways", "weights=sideways")]
    [InlineData("gpu:chunk=0", "chunk=0")]
    [InlineData("gpu:collapse=maybe", "collapse=maybe")]
    [InlineData("gpu:tile=8", "no setting tile")]
    [InlineData("gpu:chunk", "not key=value")]
    [InlineData("gpu:chunk=4:chunk=8", "given twice")]
    [InlineData("gpu:columns=5", "columns=5: expected 0 (automatic), 2, 3, 4, 8 or 16")]
    [InlineData("gpu:slot-chunk=12", "no setting slot-chunk")]
    public void BadGpuSettingsAreRejectedByName(string text, string expected)
    {
        var error = Assert.Throws<SpDnnUsageException>(() => GpuEngineOptions.FromSpec(EngineSpec.Parse(text)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CpuSimdSettingIsReadAndNamedBackInReports()
    {
        var options = CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:simd=vector256"));
        Assert.Equal(CpuSimd.Vector256, options.Simd);
        Assert.Equal(":simd=vector256", options.SpecSuffix());
        Assert.Equal("", CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:simd=auto")).SpecSuffix());
        using var narrow = EngineFactory.Create("cpu:simd=Vector128");
        Assert.Equal("cpu:simd=vector128", narrow.Name);
        Assert.Contains("expected one of auto, vector512, vector256, vector128",
            Assert.Throws<SpDnnUsageException>(() => EngineFactory.Create("cpu:simd=avx")).Message);
        Assert.Contains("cpu engine has no setting threads", Assert.Throws<SpDnnUsageException>(() => EngineFactory.Create("cpu:threads=2")).Message);
        using var cpu = EngineFactory.Create("cpu");
        Assert.Equal("cpu", cpu.Name);
    }

    [Fact]
    public void EnginesWithoutSettingsRefuseThem()
    {
        var error = Assert.Throws<SpDnnUsageException>(() => EngineFactory.Create("reference:threads=2"));
        Assert.Contains("reference engine has no setting threads", error.Message);
        Assert.Throws<SpDnnUsageException>(() => EngineFactory.Create("auto:chunk=2"));
    }
}
