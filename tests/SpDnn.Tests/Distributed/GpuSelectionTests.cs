using SpDnn.Distributed;
using SpDnn.Engines.Reference;

namespace SpDnn.Tests.Distributed;

public sealed class GpuSelectionTests
{
    [Fact]
    public void ParsesAllCountsAndLists()
    {
        Assert.Equal([0, 1, 2, 3], GpuSelection.Parse("all", 4));
        Assert.Equal([0, 1], GpuSelection.Parse("2", 4));
        Assert.Equal([3, 1], GpuSelection.Parse("3, 1", 4));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("1,1")]
    [InlineData("4,0")]
    [InlineData("-1")]
    [InlineData("gpu0")]
    [InlineData("2,")]
    public void RejectsSelectionsTheMachineCannotHonour(string text)
    {
        var e = Assert.Throws<SpDnnUsageException>(() => GpuSelection.Parse(text, 4));
        Assert.StartsWith($"--gpus {text}:", e.Message);
    }

    [Fact]
    public void WithoutCudaEveryGpuSelectionSaysSo() =>
        Assert.Contains("no CUDA device", Assert.Throws<NotSupportedException>(() => GpuSelection.Parse("all", 0)).Message);

    [Fact]
    public void NonGpuEnginesComeFromTheFactoryAndRefuseGpus()
    {
        using var single = new SingleProcessCommunicator();
        using var engine = ScaleOutEngines.Create(new EngineRequest("reference"), single, () => throw new InvalidOperationException("CUDA must not be asked"));
        Assert.IsType<ReferenceEngine>(engine);
        var e = Assert.Throws<SpDnnUsageException>(() => ScaleOutEngines.Create(new EngineRequest("reference", Gpus: "2"), single, () => 2));
        Assert.Equal("--gpus needs the gpu engine, not reference.", e.Message);
    }
}
