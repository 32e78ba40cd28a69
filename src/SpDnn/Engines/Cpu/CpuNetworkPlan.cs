using System.Diagnostics;
using System.Runtime;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// A network prepared for <see cref="CpuEngine"/>. When every layer's plan fits the memory
/// budget, all are built up front, in parallel, and reused by every run; otherwise each run
/// streams: a background thread plans the next layers while the current one computes, holding
/// at most <see cref="Window"/> plans, so memory stays at a few layers whatever L is. Layers may
/// be of any shape and form; which rows may be dropped as dead is decided here from the layers.
/// </summary>
internal sealed class CpuNetworkPlan : IEnginePlan
{
    private readonly CpuLayerPlan[]? _plans;
    private readonly bool _merge;

    internal CpuNetworkPlan(ILayerSource source, CpuEngineOptions options, int threads)
    {
        var watch = Stopwatch.StartNew();
        Source = source;
        Neurons = source.Neurons;
        LayerCount = source.LayerCount;
        if (LayerCount < 1) throw new ArgumentException("A network needs at least one layer.", nameof(source));

        MaxWidth = source.MaxWidth;
        Outputs = source.Outputs;
        ReadOut = source.ReadOut;
        _merge = options.MergeDuplicateOutputs;
        // The tile order's column groups are built only where it may run (every weight finite is checked after).
        bool mayRunTiles = options.PlanWindow <= 0
            && RunOrderChoice.Choose(options.Order, source.IsChallengeForm, MaxWidth, held: true, weightsFinite: true) == CpuRunOrder.Tiles;
        int blockInputs = RunOrderChoice.MaxBlockInputs(options.MaxBlockInputs, RunOrderChoice.TilesPerItem(options.TilesPerItem, MaxWidth));
        var first = CpuLayerPlan.Build(source.GetLayerForOutputs(0), _merge, mayRunTiles, blockInputs);
        long perLayer = CpuLayerPlan.EstimateBytes(Neurons, first.NonZeros);
        long budget = (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * options.PlanMemoryFraction);
        if (options.PlanWindow > 0)
            Window = Math.Min(options.PlanWindow, LayerCount);
        else if (perLayer * LayerCount <= budget)
            Window = LayerCount;
        else
            Window = (int)Math.Clamp(budget / Math.Max(perLayer, 1), 2, 16);
        // What the window leaves of the budget: plans a run's first batch may keep for its other batches.
        RetainBudgetBytes = Math.Max(0, budget - Window * perLayer);
        StreamedBytes = Window * perLayer + RetainBudgetBytes;

        if (!IsStreaming)
        {
            var plans = new CpuLayerPlan[LayerCount];
            plans[0] = first;
            Parallel.For(1, LayerCount, new ParallelOptions { MaxDegreeOfParallelism = threads },
                k => plans[k] = CpuLayerPlan.Build(source.GetLayerForOutputs(k), _merge, mayRunTiles, blockInputs));
            _plans = plans;
            CheckShapes(plans.Select(p => (p.Inputs, p.Outputs)));
            long weights = 0, bytes = 0;
            foreach (var p in plans)
            {
                weights += p.LayerNonZeros;
                bytes += CpuLayerPlan.EstimateBytes(Neurons, p.NonZeros);
            }
            Weights = weights;
            HeldBytes = bytes;
            if (bytes >= CompactAfterBytes) CompactHeap();
        }
        else
        {
            Weights = -1;
        }
        _zeroRowsStayZeroFrom = ZeroRowSuffix(source, _plans);
        Order = mayRunTiles ? RunOrderChoice.Choose(options.Order, source.IsChallengeForm, MaxWidth, _plans is not null,
            _plans is not null && _plans.All(p => p.WeightsFinite)) : CpuRunOrder.Layers;
        PlanningSeconds = watch.Elapsed.TotalSeconds;
    }

    /// <summary>Held plans from this size on are followed by one compacting collection (<see cref="CompactHeap"/>).</summary>
    private const long CompactAfterBytes = 1L << 30;

    /// <summary>
    /// Each layer planned leaves its transient arrays (the layer itself, its transposes: tens of
    /// megabytes at N = 65536) as holes between the plans kept on the large-object heap, which is
    /// not compacted by default: 65536 x 1920's 6.8 GB of plans left the heap 3.3 GB larger than
    /// they are, and a compacting collection alone kept the memory it freed (4 GB resident). One
    /// aggressive collection after planning compacts and gives that back for every run to come.
    /// </summary>
    private static void CompactHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public ILayerSource Source { get; }

    /// <summary>Features of each input image (the first layer's inputs).</summary>
    public int Neurons { get; }

    /// <summary>The widest layer input or output: what a run sizes its row buffers by.</summary>
    public int MaxWidth { get; }

    /// <summary>Outputs of the last layer.</summary>
    public int Outputs { get; }

    public ReadOut ReadOut { get; }

    public int LayerCount { get; }

    /// <summary>Total nonzero weights; -1 while streaming (counted during each run instead).</summary>
    public long Weights { get; }

    public double PlanningSeconds { get; }

    /// <summary>Estimated bytes of the held layer plans (0 while streaming).</summary>
    public long HeldBytes { get; }

    /// <summary>Bytes of streamed plans a run may keep for its later image batches (<see cref="RetainedLayerPlans"/>).</summary>
    public long RetainBudgetBytes { get; }

    /// <summary>Estimated bytes streamed plans may take in a run: the window and the plans kept for later batches.</summary>
    public long StreamedBytes { get; }

    /// <summary>Plans held at once: <see cref="LayerCount"/> when all are held.</summary>
    public int Window { get; }

    public bool IsStreaming => Window < LayerCount;

    /// <summary>The order the engine runs this network in: <see cref="CpuRunOrder.Layers"/> or <see cref="CpuRunOrder.Tiles"/>.</summary>
    public CpuRunOrder Order { get; }

    /// <summary>Every layer's plan, in order; null while streaming.</summary>
    internal IReadOnlyList<CpuLayerPlan>? Layers => _plans;

    /// <summary>
    /// Whether a row that is all zero before layer <paramref name="layer"/> stays all zero to the
    /// end (every layer from there adds its bias only to nonzero sums), so it may leave the live set
    /// for good; false where a later layer adds its bias always and would revive it. Index
    /// <see cref="LayerCount"/> (after the last layer) is true.
    /// </summary>
    public bool ZeroRowsStayZeroFrom(int layer) => _zeroRowsStayZeroFrom[layer];

    private readonly bool[] _zeroRowsStayZeroFrom;

    private static bool[] ZeroRowSuffix(ILayerSource source, CpuLayerPlan[]? plans)
    {
        var suffix = new bool[source.LayerCount + 1];
        suffix[source.LayerCount] = true;
        for (int k = source.LayerCount - 1; k >= 0; k--)
        {
            bool keeps = source.IsChallengeForm || (plans is not null ? plans[k].KeepsZeroRowsZero : source.GetLayer(k).KeepsZeroRowsZero());
            suffix[k] = keeps && suffix[k + 1];
        }
        return suffix;
    }

    private void CheckShapes(IEnumerable<(int Inputs, int Outputs)> layers)
    {
        int width = Neurons, k = 0;
        foreach (var (inputs, outputs) in layers)
        {
            k++;
            if (inputs != width)
                throw new ArgumentException($"Layer {k} of {Source.Description} has {inputs} inputs, expected {width}.");
            if (outputs > MaxWidth || inputs > MaxWidth)
                throw new ArgumentException($"Layer {k} of {Source.Description} is wider ({inputs} x {outputs}) than the network's widest layer ({MaxWidth}).");
            width = outputs;
        }
    }

    /// <summary>The layer plans for one run, in order from <paramref name="firstLayer"/>.</summary>
    internal ILayerPlanSequence Open(CancellationToken cancellation, int firstLayer = 0) =>
        _plans is not null ? new HeldPlans(_plans) : new StreamedLayerPlans(Source, Window, cancellation, firstLayer, _merge);

    public void Dispose() { }

    private sealed class HeldPlans(CpuLayerPlan[] plans) : ILayerPlanSequence
    {
        public CpuLayerPlan Take(int index) => plans[index];
        public void Release(int index) { }
        public void Dispose() { }
    }
}

/// <summary>Layer plans handed out in order to one run.</summary>
internal interface ILayerPlanSequence : IDisposable
{
    /// <summary>The plan of layer <paramref name="index"/>, waiting for it if it is still being built.</summary>
    CpuLayerPlan Take(int index);

    /// <summary>The run is done with layer <paramref name="index"/>: its plan may be dropped.</summary>
    void Release(int index);
}
