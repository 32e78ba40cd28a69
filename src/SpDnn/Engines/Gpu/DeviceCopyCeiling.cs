using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The device memory's copy ceiling as measured: one device-to-device copy of
/// <see cref="BufferBytes"/>, timed <see cref="Repeats"/> times after a warm-up, the fastest kept.
/// A copy reads and writes every byte, so <see cref="BytesPerSecond"/> counts both: the yardstick
/// for kernels whose time is spent moving features in and out (issue 14).
/// </summary>
/// <param name="Device">The accelerator in words.</param>
/// <param name="BufferBytes">Bytes copied each time.</param>
/// <param name="Repeats">Timed copies (the fastest is kept).</param>
/// <param name="BestSeconds">The fastest copy, enqueue to completion.</param>
public sealed record DeviceCopyCeiling(string Device, long BufferBytes, int Repeats, double BestSeconds)
{
    /// <summary>Bytes read plus bytes written per second in the fastest copy.</summary>
    public double BytesPerSecond => BestSeconds > 0 ? 2.0 * BufferBytes / BestSeconds : 0;

    /// <summary>Copies a buffer of <paramref name="bufferBytes"/> (a multiple of 4) to another, <paramref name="repeats"/> times.</summary>
    internal static DeviceCopyCeiling Measure(Accelerator accelerator, string device, long bufferBytes, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, sizeof(int));
        if (bufferBytes % sizeof(int) != 0) throw new ArgumentOutOfRangeException(nameof(bufferBytes), bufferBytes, "The buffer is copied as 4-byte words: give a multiple of 4.");
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        long words = bufferBytes / sizeof(int);
        using var source = accelerator.Allocate1D<int>(words);
        using var target = accelerator.Allocate1D<int>(words);
        var stream = accelerator.DefaultStream;
        // Touch both buffers first: the first copy also pays for mapping their pages.
        source.MemSetToZero(stream);
        source.View.CopyTo(stream, target.View);
        stream.Synchronize();
        double best = double.MaxValue;
        var watch = new Stopwatch();
        for (int r = 0; r < repeats; r++)
        {
            watch.Restart();
            source.View.CopyTo(stream, target.View);
            stream.Synchronize();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return new DeviceCopyCeiling(device, bufferBytes, repeats, best);
    }
}
