using SpDnn.Engines.Gpu;

namespace SpDnn.Tests.Engines.Gpu;

public sealed class DeviceCopyCeilingTests
{
    private static GpuEngine Simulator() => new(new GpuEngineOptions { Accelerator = GpuAcceleratorChoice.CpuSimulator });

    [Fact]
    public void ACopyIsTimedAndCountsTheBytesReadAndWritten()
    {
        using var engine = Simulator();
        var ceiling = engine.MeasureCopyCeiling(1 << 20, repeats: 3);
        Assert.Equal(1 << 20, ceiling.BufferBytes);
        Assert.Equal(3, ceiling.Repeats);
        Assert.True(ceiling.BestSeconds > 0);
        Assert.Equal(2.0 * (1 << 20) / ceiling.BestSeconds, ceiling.BytesPerSecond, 6);
        Assert.Equal(engine.DeviceDescription, ceiling.Device);
        Assert.Equal(8L << 20, engine.MeasureCopyCeiling(repeats: 1).BufferBytes); // the simulator's default size
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(1026L, 1)]
    [InlineData(1024L, 0)]
    public void ABufferThatIsNotWholeWordsOrNoRepeatIsRejected(long bytes, int repeats)
    {
        using var engine = Simulator();
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.MeasureCopyCeiling(bytes == 0 ? -4 : bytes, repeats));
    }
}
