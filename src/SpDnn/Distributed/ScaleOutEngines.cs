using System.Globalization;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;

namespace SpDnn.Distributed;

/// <summary>What a run asks for: engine name, GPU selection, re-balance.</summary>
/// <param name="Engine">An <see cref="EngineFactory"/> name with its settings (<see cref="EngineSpec"/>), or <c>auto</c>.</param>
/// <param name="Gpus"><c>--gpus</c> text, or null.</param>
/// <param name="RebalanceAfterLayer">Re-split live images after this many layers when several GPUs share a process; 0 never.</param>
/// <param name="GeneralNetwork">The network is not of the challenge's form: <c>auto</c> picks only engines that run general networks.</param>
public sealed record EngineRequest(string Engine, string? Gpus = null, int RebalanceAfterLayer = 0, bool GeneralNetwork = false);

/// <summary>
/// Makes a process's engine from the engine name, <c>--gpus</c> and its place in the job.
/// One process: the named engine, or with <c>--gpus</c> one GPU engine per selected GPU behind a
/// <see cref="MultiDeviceEngine"/>. An MPI rank: one device per rank, the GPU being the selected
/// GPU (all by default) numbered by the rank's local rank modulo their count, so P ranks on a host
/// spread over its GPUs, and two ranks may share one.
/// </summary>
public static class ScaleOutEngines
{
    /// <summary>The engine for this process of the job, counting CUDA devices through the driver.</summary>
    public static IInferenceEngine Create(EngineRequest request, ICommunicator communicator) =>
        Create(request, communicator, GpuEngine.CudaDeviceCount);

    /// <param name="request">What was asked for.</param>
    /// <param name="communicator">This process's place in the job.</param>
    /// <param name="cudaDevices">Counts the usable CUDA devices (asked only when a GPU engine is wanted).</param>
    public static IInferenceEngine Create(EngineRequest request, ICommunicator communicator, Func<int> cudaDevices)
    {
        var spec = EngineFactory.Resolve(request.Engine, request.GeneralNetwork);
        bool gpu = spec.Name.Equals("gpu", StringComparison.OrdinalIgnoreCase);
        if (request.Gpus is not null && !gpu)
            throw new SpDnnUsageException($"--gpus needs the gpu engine, not {spec.Name}.");
        if (!gpu) return EngineFactory.Create(spec);
        EngineFactory.Find(spec.Name).Configure(spec); // settings are usage errors before any device is asked about
        // Every engine is made by the factory; only the device differs (the spec's device= replaced).
        IInferenceEngine OnDevice(int device) => EngineFactory.Create(spec.With("device", device.ToString(CultureInfo.InvariantCulture)));

        int available = cudaDevices();
        var devices = request.Gpus is null
            ? (available > 0 ? [.. Enumerable.Range(0, available)] : [0]) // no device: device 0 fails with the engine's own message
            : GpuSelection.Parse(request.Gpus, available);
        if (communicator.Size > 1) return OnDevice(devices[communicator.LocalRank % devices.Length]);
        if (request.Gpus is null) return EngineFactory.Create(spec); // device=K in the spec, else device 0
        if (devices.Length == 1) return OnDevice(devices[0]);
        var engines = new List<IInferenceEngine>(devices.Length);
        try
        {
            foreach (int d in devices) engines.Add(OnDevice(d));
        }
        catch
        {
            foreach (var e in engines) e.Dispose();
            throw;
        }
        return new MultiDeviceEngine(engines, rebalanceAfterLayer: request.RebalanceAfterLayer);
    }
}
