using System.Diagnostics;
using System.Globalization;
using SpDnn.Engines;
using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>
/// Several devices in one process, behind the ordinary engine interface. Each device has its
/// own engine (a GPU engine per GPU, or any engine standing in) and its own copy of the plan.
/// Images are split into contiguous slices in proportion to the device weights and run
/// concurrently, one thread per device; the results are merged (categories concatenated in
/// order, per-layer statistics summed, time = the slowest device: the wall time of the
/// parallel section).
/// Pruning leaves the static split unbalanced (one device's images may all die early while
/// another's survive), so optionally, after the first <c>rebalanceAfterLayer</c> layers, the
/// live rows of all devices are gathered and split again in proportion to the weights, and the
/// remaining layers run on the new split. Results are identical either way.
/// </summary>
public sealed class MultiDeviceEngine : IInferenceEngine
{
    private readonly IInferenceEngine[] _devices;
    private readonly double[] _weights;
    private readonly bool _ownsDevices;

    /// <param name="devices">One engine per device; disposed with this engine when <paramref name="ownsDevices"/>.</param>
    /// <param name="weights">Relative speed of each device (images are split in proportion); null for equal shares.</param>
    /// <param name="rebalanceAfterLayer">Re-split the live images after this many layers; 0 never.</param>
    /// <param name="ownsDevices">Whether disposing this engine disposes the device engines.</param>
    public MultiDeviceEngine(IReadOnlyList<IInferenceEngine> devices, IReadOnlyList<double>? weights = null,
        int rebalanceAfterLayer = 0, bool ownsDevices = true)
    {
        if (devices.Count == 0) throw new ArgumentException("At least one device engine is needed.", nameof(devices));
        if (weights is not null && weights.Count != devices.Count)
            throw new ArgumentException($"{weights.Count} weights for {devices.Count} devices.", nameof(weights));
        ArgumentOutOfRangeException.ThrowIfNegative(rebalanceAfterLayer);
        _devices = [.. devices];
        _weights = weights is null ? [.. Enumerable.Repeat(1.0, devices.Count)] : [.. weights];
        StaticPartition.Proportional(0, _weights); // validates the weights now, not at the first run
        RebalanceAfterLayer = rebalanceAfterLayer;
        _ownsDevices = ownsDevices;
    }

    /// <summary>The device engines' name with the device count, e.g. <c>gpu (4 devices)</c>.</summary>
    public string Name => $"{_devices[0].Name} ({_devices.Length} devices)";

    /// <summary>Number of device engines the images are split over.</summary>
    public int DeviceCount => _devices.Length;

    /// <inheritdoc/>
    public bool ReadsLayersOnlyWhilePlanning => _devices.All(d => d.ReadsLayersOnlyWhilePlanning);

    /// <summary>Layers after which the live images are split again; 0 for never.</summary>
    public int RebalanceAfterLayer { get; }

    /// <summary>Plans the network on every device at once (each device holds a whole copy), cut in two when re-balancing.</summary>
    public IEnginePlan Plan(ILayerSource network, InferenceOptions options)
    {
        NetworkFormCheck.EnsureRuns(this, network);
        // Re-balancing needs layers on both sides of the cut; otherwise it is simply off.
        int cut = RebalanceAfterLayer > 0 && RebalanceAfterLayer < network.LayerCount ? RebalanceAfterLayer : 0;
        var watch = Stopwatch.StartNew();
        var plans = DeviceThreads.Run(_devices.Length, d => cut == 0
            ? (Head: _devices[d].Plan(network, options), Tail: (IEnginePlan?)null)
            : (Head: _devices[d].Plan(new LayerRangeSource(network, 0, cut), options),
               Tail: _devices[d].Plan(new LayerRangeSource(network, cut, network.LayerCount - cut), options)));
        watch.Stop();
        return new MultiDevicePlan(this, network.Neurons, network.LayerCount, cut,
            [.. plans.Select(p => p.Head)], cut == 0 ? null : [.. plans.Select(p => p.Tail!)], watch.Elapsed.TotalSeconds);
    }

    /// <inheritdoc/>
    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as MultiDevicePlan;
        if (p is null || p.Owner != this) throw new ArgumentException("The plan was not made by this multi-device engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");

        var progress = options.Progress is null ? null : new LayerProgressAggregator(options.Progress, _devices.Length);
        var details = new Dictionary<string, string>();
        var watch = Stopwatch.StartNew();

        var headOptions = p.Tail is null ? options : options with { KeepFinalFeatures = true };
        var split = StaticPartition.Proportional(images.Count, _weights);
        var head = RunSlices(p.Head, images, split, headOptions, progress, layerOffset: 0);
        details["split"] = string.Join(",", split);

        InferenceResult[] final = head;
        if (p.Tail is not null)
        {
            // Gather the live rows (ascending image numbers: slices are contiguous and in order) and split them again.
            var live = new ImageBatch(
                CsrRows.Concatenate([.. head.Select(h => h.FinalFeatures!)], images.Neurons),
                images.Description,
                imageNumbers: ResultMerger.ConcatenateCategories(head));
            var resplit = StaticPartition.Proportional(live.Count, _weights);
            final = RunSlices(p.Tail, live, resplit, options, progress, layerOffset: p.RebalanceAfter);
            details["rebalance"] = $"after layer {p.RebalanceAfter}: live {string.Join(",", head.Select(h => h.Categories.Length))} -> {string.Join(",", resplit)}";
        }
        watch.Stop();

        var statistics = ResultMerger.MergeLayers(head.Select(h => h.LayerStatistics));
        if (p.Tail is not null) statistics.AddRange(ResultMerger.MergeLayers(final.Select(t => t.LayerStatistics), p.RebalanceAfter));

        details["devices"] = _devices.Length.ToString(CultureInfo.InvariantCulture);
        details["device seconds"] = string.Join(",", Enumerable.Range(0, _devices.Length)
            .Select(d => (head[d].InferenceSeconds + (p.Tail is null ? 0 : final[d].InferenceSeconds)).ToString("G4", CultureInfo.InvariantCulture)));
        // Inside the wall time above (each device uploads its slice concurrently), so not UploadSeconds.
        details["device upload seconds"] = string.Join(",", Enumerable.Range(0, _devices.Length)
            .Select(d => (head[d].UploadSeconds + (p.Tail is null ? 0 : final[d].UploadSeconds)).ToString("G4", CultureInfo.InvariantCulture)));
        foreach (var (key, value) in head[0].Details) details.TryAdd(key, value);

        long weights = head[0].Weights + (p.Tail is null ? 0 : final[0].Weights);
        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = p.LayerCount,
            Images = images.Count,
            Weights = weights,
            Categories = ResultMerger.ConcatenateCategories(final),
            InferenceSeconds = watch.Elapsed.TotalSeconds,
            PlanWaitSeconds = head.Max(h => h.PlanWaitSeconds) + (p.Tail is null ? 0 : final.Max(f => f.PlanWaitSeconds)),
            LayerStatistics = statistics,
            FinalFeatures = options.KeepFinalFeatures ? CsrRows.Concatenate([.. final.Select(f => f.FinalFeatures!)], images.Neurons) : null,
            Details = details,
        };
    }

    private InferenceResult[] RunSlices(IEnginePlan[] plans, ImageBatch images, int[] sizes, InferenceOptions options,
        LayerProgressAggregator? progress, int layerOffset)
    {
        var starts = StaticPartition.Starts(sizes);
        return DeviceThreads.Run(_devices.Length, d =>
        {
            var slice = images.Slice(starts[d], sizes[d]);
            var deviceOptions = options with { Progress = progress?.For(d, layerOffset) };
            return _devices[d].Execute(plans[d], slice, deviceOptions);
        });
    }

    /// <summary>Disposes the device engines when this engine owns them.</summary>
    public void Dispose()
    {
        if (!_ownsDevices) return;
        foreach (var d in _devices) d.Dispose();
    }
}
