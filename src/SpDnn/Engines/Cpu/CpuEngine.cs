using System.Diagnostics;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The fast exact CPU engine. Per layer it computes only the distinct live rows: dead images
/// (all-zero rows) leave for good and bit-identical rows are computed once (see
/// <see cref="LiveSet"/>). Each layer picks, from the measured density of those rows, a scalar
/// scatter over the nonzero inputs or a SIMD gather over tiles of 16 rows held densely (one
/// Vector512, two Vector256 or four Vector128 per tile: the widest the machine runs in hardware). All
/// workers share every layer; plans are held whole or streamed, whichever fits memory.
/// Results are bit-identical to the reference engine (same summation order, no fused multiply-add).
/// </summary>
public sealed class CpuEngine(CpuEngineOptions? engineOptions = null) : IInferenceEngine
{
    /// <summary>
    /// Bytes of live rows per image assumed when sizing batches: every neuron as (index, value),
    /// two layers' worth. Early challenge layers are far denser than the input (a quarter was
    /// assumed before and N=65536 with 60000 images ran out of 24 GB), so assume the worst.
    /// </summary>
    private const double RowBytesPerNeuron = 1.0 * 8 * 2;

    private readonly CpuEngineOptions _engineOptions = engineOptions ?? new CpuEngineOptions();

    /// <summary>The kernels for the SIMD width chosen once, here (see <see cref="CpuEngineOptions.Simd"/>).</summary>
    private readonly LayerKernels _kernels = LayerKernels.Create(engineOptions?.Simd ?? CpuSimd.Auto);

    public string Name => "cpu" + _engineOptions.SpecSuffix();

    public CpuEngineOptions EngineOptions => _engineOptions;

    public IEnginePlan Plan(ILayerSource network, InferenceOptions options) =>
        new CpuNetworkPlan(network, _engineOptions, ThreadCount(options));

    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as CpuNetworkPlan ?? throw new ArgumentException("The plan was not made by the CPU engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");

        int threads = ThreadCount(options);
        int batch = BatchSize(images, p);
        using var team = new WorkerTeam(threads);
        var stats = new LayerStatistics[p.LayerCount];
        var categories = new List<int>();
        var features = new List<CsrMatrix>();
        var counts = new RunCounts();
        long weights = 0;
        double seconds = 0;
        for (int start = 0; start < Math.Max(images.Count, 1); start += batch)
        {
            var part = start == 0 && batch >= images.Count ? images : images.Slice(start, Math.Min(batch, images.Count - start));
            using var run = new CpuRun(part, _engineOptions, _kernels, team);
            seconds += RunLayers(p, run, stats, start == 0, options, counts, out weights);
            var live = run.Live;
            for (int i = 0; i < live.Count; i++) categories.Add(part.ImageNumber(live.Images[i]));
            if (options.KeepFinalFeatures) features.Add(run.FinalFeatures());
            counts.Add(run);
        }

        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = p.LayerCount,
            Images = images.Count,
            Weights = weights,
            Categories = [.. categories],
            InferenceSeconds = seconds,
            LayerStatistics = stats,
            FinalFeatures = options.KeepFinalFeatures ? Concatenate(features, p.Neurons) : null,
            Details = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(),
                ["simd"] = _kernels.Description,
                ["plans"] = p.IsStreaming ? $"streamed, window {p.Window}" : "held",
                ["batches"] = ((images.Count + batch - 1) / Math.Max(batch, 1)).ToString(),
                ["plan wait seconds"] = counts.PlanWaitSeconds.ToString("G4"),
                ["sparse-input tiles"] = counts.SparseInputTiles.ToString(),
                ["dense-tile tiles"] = counts.DenseTileTiles.ToString(),
                ["row-kernel tiles"] = counts.RowKernelTiles.ToString(),
                ["collapse"] = _engineOptions.CollapseIdenticalRows ? $"on, checked after {counts.CheckedLayers} layers" : "off",
            },
        };
    }

    /// <summary>The timed layer loop for one batch; merges its statistics into <paramref name="stats"/>.</summary>
    private static double RunLayers(CpuNetworkPlan p, CpuRun run, LayerStatistics[] stats, bool first, InferenceOptions options,
        RunCounts counts, out long weights)
    {
        using var plans = p.Open(options.Cancellation);
        weights = 0;
        var total = Stopwatch.StartNew();
        for (int k = 0; k < p.LayerCount; k++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            long before = Stopwatch.GetTimestamp();
            var layer = plans.Take(k);
            counts.PlanWaitSeconds += Stopwatch.GetElapsedTime(before).TotalSeconds;
            weights += layer.NonZeros;
            var s = run.Step(layer, k);
            stats[k] = first ? s : new LayerStatistics(s.Layer, stats[k].LiveImages + s.LiveImages,
                stats[k].DistinctRows < 0 || s.DistinctRows < 0 ? -1 : stats[k].DistinctRows + s.DistinctRows, stats[k].Seconds + s.Seconds);
            plans.Release(k);
            options.Progress?.Report(k + 1);
        }
        return total.Elapsed.TotalSeconds;
    }

    private int BatchSize(ImageBatch images, CpuNetworkPlan plan)
    {
        if (_engineOptions.MaxBatchImages > 0) return _engineOptions.MaxBatchImages;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long planBytes = plan.IsStreaming ? 0 : plan.HeldBytes;
        long imageBytes = images.Features.NonZeros * (sizeof(int) + sizeof(float));
        double budget = Math.Max(available * 0.6 - planBytes - imageBytes, available * 0.1);
        double perImage = Math.Max(1.0, plan.Neurons * RowBytesPerNeuron);
        return (int)Math.Min(Math.Max(budget / perImage, 1024), Math.Max(images.Count, 1));
    }

    private static CsrMatrix Concatenate(List<CsrMatrix> parts, int neurons)
    {
        if (parts.Count == 1) return parts[0];
        int rows = parts.Sum(m => m.Rows);
        long nonZeros = parts.Sum(m => m.NonZeros);
        var offsets = new int[rows + 1];
        var columns = new int[nonZeros];
        var values = new float[nonZeros];
        int row = 0, at = 0;
        foreach (var m in parts)
        {
            for (int r = 0; r < m.Rows; r++) offsets[row + r + 1] = at + m.RowOffsets[r + 1];
            m.ColumnIndices.CopyTo(columns, at);
            m.Values.CopyTo(values, at);
            row += m.Rows;
            at += (int)m.NonZeros;
        }
        return new CsrMatrix(rows, neurons, offsets, columns, values);
    }

    private static int ThreadCount(InferenceOptions options) =>
        options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

    public void Dispose() { }

    /// <summary>What the runs of one Execute did, summed over batches.</summary>
    private sealed class RunCounts
    {
        public double PlanWaitSeconds;
        public long SparseInputTiles, DenseTileTiles, RowKernelTiles;
        public int CheckedLayers;

        public void Add(CpuRun run)
        {
            SparseInputTiles += run.SparseInputTiles;
            DenseTileTiles += run.DenseTileTiles;
            RowKernelTiles += run.RowKernelTiles;
            CheckedLayers += run.CheckedLayers;
        }
    }
}
