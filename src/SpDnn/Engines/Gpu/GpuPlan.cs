using System.Diagnostics;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>A network planned into the warp-sliced ELL layout and uploaded to the device.</summary>
internal sealed class GpuPlan : IEnginePlan
{
    private readonly DeviceLayer[] _layers;

    public GpuPlan(GpuDevice device, ILayerSource network, InferenceOptions options)
    {
        var watch = Stopwatch.StartNew();
        Device = device;
        Neurons = network.Neurons;
        LayerCount = network.LayerCount;
        _layers = new DeviceLayer[LayerCount];
        var parallel = new ParallelOptions
        {
            CancellationToken = options.Cancellation,
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : -1,
        };
        // Plan a chunk of layers in parallel on the CPU, then upload it, so host memory holds
        // one chunk of tiled layers at a time however long the network is.
        int chunk = Math.Max(1, Environment.ProcessorCount * 2);
        var tiled = new TiledLayer[Math.Min(chunk, LayerCount)];
        try
        {
            for (int start = 0; start < LayerCount; start += chunk)
            {
                int count = Math.Min(chunk, LayerCount - start);
                Parallel.For(0, count, parallel, i =>
                {
                    var layer = network.GetLayer(start + i);
                    if (layer.Weights.Rows != Neurons || layer.Weights.Columns != Neurons || layer.Bias.Length != Neurons)
                        throw new ArgumentException($"Layer {start + i + 1} does not have {Neurons} neurons.");
                    tiled[i] = TiledLayerPlanner.Plan(layer);
                });
                for (int i = 0; i < count; i++)
                {
                    var t = tiled[i];
                    Weights += t.NonZeros;
                    WarpRowCount += t.WarpRowCount;
                    DeviceBytes += t.DeviceBytes;
                    _layers[start + i] = new DeviceLayer(device.Accelerator, t);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        PlanningSeconds = watch.Elapsed.TotalSeconds;
    }

    public GpuDevice Device { get; }
    public int Neurons { get; }
    public int LayerCount { get; }
    public long Weights { get; }
    public double PlanningSeconds { get; }

    /// <summary>Warp-wide rows of slots over all layers ("warpnz").</summary>
    public long WarpRowCount { get; }

    /// <summary>Padded slots over true nonzeros (1 = no padding).</summary>
    public double PaddingRatio => Weights > 0 ? WarpRowCount * (double)TiledLayout.WarpSize / Weights : 1;

    public long DeviceBytes { get; }

    public DeviceLayer Layer(int index) => _layers[index];

    public void Dispose()
    {
        foreach (var layer in _layers) layer?.Dispose();
    }
}
