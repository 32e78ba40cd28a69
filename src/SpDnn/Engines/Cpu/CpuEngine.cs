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

    /// <inheritdoc/>
    public string Name => "cpu" + _engineOptions.SpecSuffix();

    /// <inheritdoc/>
    public bool RunsGeneralForm => true;

    /// <summary>The settings the engine was made with.</summary>
    public CpuEngineOptions EngineOptions => _engineOptions;

    /// <inheritdoc/>
    public IEnginePlan Plan(ILayerSource network, InferenceOptions options) =>
        new CpuNetworkPlan(network, _engineOptions, ThreadCount(options));

    /// <inheritdoc/>
    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as CpuNetworkPlan ?? throw new ArgumentException("The plan was not made by the CPU engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");

        int threads = ThreadCount(options);
        if (p.Order == CpuRunOrder.Tiles) return ExecuteTiles(p, images, options, threads);
        int batch = BatchSize(images, p);
        using var lease = WorkerTeamCache.Shared.Take(threads);
        var team = lease.Team;
        // Arenas reserved for the batch's rows at their densest, as the batch was sized for them (not where the caller set the batch size).
        long reserve = _engineOptions.MaxBatchImages > 0 ? 0 : (long)Math.Min(batch, images.Count) * p.MaxWidth / threads;
        using var buffers = new CpuRunBuffers(threads, CpuLayerPlan.PaddedLength(p.MaxWidth), reserve);
        var readOut = p.ReadOut == ReadOut.Class ? new ClassReadOut(images.Count, p.Outputs, options.KeepFinalFeatures) : null;
        var run = new BatchedRun(p, options, batch, team, buffers, new LayerStatistics?[p.LayerCount], new long[p.LayerCount], images, readOut);
        RunFrom(run, new BatchRows(images), 0);
        var counts = run.Counts;

        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = p.LayerCount,
            Images = images.Count,
            Weights = run.LayerWeights.Sum(),
            Categories = [.. run.Categories],
            Classes = readOut?.Classes,
            Logits = readOut?.Logits,
            InferenceSeconds = run.Seconds,
            UploadSeconds = run.UploadSeconds,
            PlanWaitSeconds = counts.PlanWaitSeconds,
            LayerStatistics = run.Stats.Select((s, k) => s ?? new LayerStatistics(k + 1, 0, 0, 0)).ToArray(),
            FinalFeatures = options.KeepFinalFeatures ? Concatenate(run.Features, p.Outputs) : null,
            Details = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(),
                ["simd"] = _kernels.Description,
                ["order"] = "layers",
                ["plans"] = p.IsStreaming ? $"streamed, window {p.Window}" : "held",
                ["batches"] = ((images.Count + batch - 1) / Math.Max(batch, 1)).ToString(),
                ["merged batches at layers"] = run.Merges.Count == 0 ? "none" : string.Join(" ", run.Merges),
                ["plan wait seconds"] = counts.PlanWaitSeconds.ToString("G4"),
                ["layer plans built in the run"] = p.IsStreaming ? $"{counts.PlansBuilt} ({counts.PlansReplanned} again for later batches)" : "none (all held)",
                ["working rows bytes"] = buffers.TouchedBytes.ToString(),
                ["working rows reserved bytes"] = buffers.ArenaBytes.ToString(),
                ["outgrown rows collected"] = counts.CollectionSeconds is { } collected ? $"after the first batch, in {collected:G3} s" : "no",
                ["sparse-input tiles"] = counts.SparseInputTiles.ToString(),
                ["dense-tile tiles"] = counts.DenseTileTiles.ToString(),
                ["row-kernel tiles"] = counts.RowKernelTiles.ToString(),
                ["exact-row tiles"] = counts.ExactRowTiles.ToString(),
                ["collapse"] = _engineOptions.CollapseIdenticalRows ? $"on, checked after {counts.CheckedLayers} layers" : "off",
            },
        };
    }

    /// <summary>The tile-by-tile order (<see cref="TileOrderRun"/>): the whole batch at once, every layer plan held.</summary>
    private InferenceResult ExecuteTiles(CpuNetworkPlan p, ImageBatch images, InferenceOptions options, int threads)
    {
        using var lease = WorkerTeamCache.Shared.Take(threads);
        var team = lease.Team;
        var readOut = p.ReadOut == ReadOut.Class ? new ClassReadOut(images.Count, p.Outputs, options.KeepFinalFeatures) : null;
        using var run = new TileOrderRun(p.Layers!, images, _engineOptions, options, _kernels, team, p.MaxWidth, readOut);
        var watch = Stopwatch.StartNew();
        run.Run();
        var categories = run.Categories();
        var features = run.FinalFeatures();
        double seconds = watch.Elapsed.TotalSeconds;
        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = p.LayerCount,
            Images = images.Count,
            Weights = p.Weights,
            Categories = categories,
            Classes = readOut?.Classes,
            Logits = readOut?.Logits,
            InferenceSeconds = seconds,
            LayerStatistics = run.Statistics(seconds),
            FinalFeatures = features,
            Details = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(),
                ["simd"] = _kernels.Description,
                ["order"] = "tiles",
                ["plans"] = "held",
                ["sparse-input tiles"] = run.SparseInputTiles.ToString(),
                ["dense-tile tiles"] = run.DenseTileTiles.ToString(),
                ["dead-input layers"] = run.DeadInputLayers.ToString(),
                ["dead-input tiles"] = run.DeadInputTiles.ToString(),
                ["dead-input misses"] = run.DeadInputMisses.ToString(),
                ["collapse"] = "off (tile order: rows are not kept between layers)",
            },
        };
    }

    /// <summary>What a run over several batches gathers as it goes.</summary>
    /// <param name="Images">The whole batch of the Execute call (class read-out rows are its rows).</param>
    private sealed record BatchedRun(CpuNetworkPlan Plan, InferenceOptions Options, int Batch, WorkerTeam Team, CpuRunBuffers Buffers,
        LayerStatistics?[] Stats, long[] LayerWeights, ImageBatch Images, ClassReadOut? ReadOut)
    {
        public List<int> Categories { get; } = [];
        public List<CsrMatrix> Features { get; } = [];
        public RunCounts Counts { get; } = new();
        public List<int> Merges { get; } = [];
        public double Seconds { get; set; }

        /// <summary>Setting up each batch's working rows (outside <see cref="Seconds"/>).</summary>
        public double UploadSeconds { get; set; }
    }

    /// <summary>
    /// Runs <paramref name="images"/> (their rows after <paramref name="from"/> layers) to the end.
    /// Several batches each run until the first has shrunk enough that the survivors of all fit
    /// one batch (<see cref="MergeNow"/>); the survivors of all are then merged into one batch for
    /// the remaining layers, so the long tail runs once. Streamed layer plans are built once per
    /// run: the first batch keeps those it takes for the others where memory allows
    /// (<see cref="RetainedLayerPlans"/>), and the merged batch takes the layers after. The batches share one set of working buffers
    /// (<see cref="CpuRunBuffers"/>) and read their images in place. Exact: each image continues
    /// from its own row.
    /// </summary>
    private void RunFrom(BatchedRun all, BatchRows images, int from)
    {
        var p = all.Plan;
        int batch = all.Batch;
        int parts = Math.Max(1, (images.Count + batch - 1) / batch);
        int stopAt = p.LayerCount;
        var rows = new List<CsrMatrix>();
        var numbers = new List<int>();
        var kept = parts > 1 && p.IsStreaming ? new RetainedLayerPlans(from, p.RetainBudgetBytes) : null;
        for (int i = 0; i < parts; i++)
        {
            int first = i * batch, count = Math.Min(batch, images.Count - first);
            long setup = Stopwatch.GetTimestamp();
            using var run = new CpuRun(images, first, count, _engineOptions, _kernels, all.Team, p.MaxWidth, p.ZeroRowsStayZeroFrom(from), all.Buffers, fromFirstLayer: from == 0);
            all.UploadSeconds += Stopwatch.GetElapsedTime(setup).TotalSeconds;
            Func<CpuRun, bool>? mergeNow = parts > 1 && i == 0 ? r => MergeNow(all, r, parts) : null;
            long made = all.Buffers.ArenaBytes;
            int reached;
            using (var plans = i == 0 ? Open(all, from, kept) : kept?.Replay(layer => Open(all, layer, null)) ?? Open(all, from, null))
                reached = RunLayers(all, run, from, stopAt, plans, mergeNow);
            if (i == 0 && parts > 1 && all.Buffers.ArenaBytes - made >= CollectOutgrownBytes) CollectOutgrown(all);
            if (i == 0) stopAt = reached;
            all.Counts.Add(run);
            if (stopAt == p.LayerCount)
            {
                Timed(all, () => Finish(all, run, images, first));
                continue;
            }
            var live = run.Live;
            for (int j = 0; j < live.Count; j++) numbers.Add(images.ImageNumber(first + live.Images[j]));
            rows.Add(Timed(all, run.FinalFeatures));
        }
        all.Counts.PlansReplanned += kept?.Replanned ?? 0;
        // The merged batch runs later layers: the kept plans go now, not when this frame ends.
        kept?.Forget();
        if (stopAt == p.LayerCount) return;
        all.Merges.Add(stopAt);
        RunFrom(all, new BatchRows(rows, [.. numbers]), stopAt);
    }

    /// <summary>Arena growth in a first batch from which the arrays outgrown are collected at once (<see cref="CollectOutgrown"/>).</summary>
    private const long CollectOutgrownBytes = 256L << 20;

    /// <summary>
    /// The first of several batches grows the arenas the others then reuse (at 65536 x 1920 from
    /// 1.2 GB to 2.8 GB); the arrays it outgrew stay resident until a full collection, which the
    /// server collector may not make for the rest of the run, so one is made here, between batches
    /// (counted as inference time).
    /// </summary>
    private static void CollectOutgrown(BatchedRun all)
    {
        long start = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        all.Seconds += seconds;
        all.Counts.CollectionSeconds = (all.Counts.CollectionSeconds ?? 0) + seconds;
    }

    /// <summary>
    /// Whether the batches, each as far as <paramref name="first"/> (the first of
    /// <paramref name="parts"/>), should now go on as one: when the first has fallen to half its
    /// share of a batch, or when the survivors of all (estimated from the first) fit one batch and
    /// their rows fit the part of the arenas the batches have used (so the merged batch starts in
    /// memory already touched: at 65536 x 1920 an earlier rule merged rows that needed 5.8 GB of
    /// new arenas).
    /// </summary>
    private static bool MergeNow(BatchedRun all, CpuRun first, int parts)
    {
        if (first.Live.Count <= all.Batch / (2 * parts)) return true;
        if ((long)first.Live.Count * parts > all.Batch) return false;
        long merged = first.LiveImageEntries * parts;
        var buffers = all.Buffers;
        return CpuRun.ArenaEntries(merged, buffers.Threads, buffers.Padded, parity: 0, fromFirstLayer: false) <= buffers.SmallestTouchedEntries;
    }

    /// <summary>
    /// The answer of one batch that ran to the end: its images with a nonzero final row (in
    /// order, so categories stay ascending), their rows when kept, and the class read-out. The
    /// batch is the rows from <paramref name="first"/> of <paramref name="images"/>.
    /// </summary>
    private static int Finish(BatchedRun all, CpuRun run, BatchRows images, int first)
    {
        var live = run.Live;
        bool keep = all.Options.KeepFinalFeatures;
        var offsets = new List<int> { 0 };
        var columns = new List<int>();
        var values = new List<float>();
        for (int j = 0; j < live.Count; j++)
        {
            run.Row(j, out var indices, out var rowValues);
            if (indices.Length == 0) continue;
            int number = images.ImageNumber(first + live.Images[j]);
            all.Categories.Add(number);
            all.ReadOut?.Add(all.Images.RowOf(number), indices, rowValues);
            if (!keep) continue;
            foreach (int c in indices) columns.Add(c);
            foreach (float v in rowValues) values.Add(v);
            offsets.Add(columns.Count);
        }
        if (keep) all.Features.Add(new CsrMatrix(offsets.Count - 1, all.Plan.Outputs, [.. offsets], [.. columns], [.. values]));
        return 0;
    }

    /// <summary>Work between layers that belongs to the inference (reading rows out to merge them).</summary>
    private static T Timed<T>(BatchedRun all, Func<T> work)
    {
        long start = Stopwatch.GetTimestamp();
        var result = work();
        all.Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        return result;
    }

    /// <summary>
    /// The layer plans of a batch from layer <paramref name="from"/> (the first batch's kept for the
    /// others when <paramref name="kept"/> is given); plans built while streaming are counted when
    /// the sequence is disposed.
    /// </summary>
    private static ILayerPlanSequence Open(BatchedRun all, int from, RetainedLayerPlans? kept)
    {
        var plans = all.Plan.Open(all.Options.Cancellation, from);
        ILayerPlanSequence counted = plans is StreamedLayerPlans streamed ? new CountedPlans(streamed, all.Counts) : plans;
        return kept is null ? counted : kept.Record(counted);
    }

    /// <summary>
    /// The timed layer loop for one batch, layers <paramref name="from"/> .. <paramref name="to"/>-1;
    /// stops early after the first layer after which <paramref name="mergeNow"/> holds (null: never).
    /// Returns the layers done.
    /// </summary>
    private static int RunLayers(BatchedRun all, CpuRun run, int from, int to, ILayerPlanSequence plans, Func<CpuRun, bool>? mergeNow)
    {
        var p = all.Plan;
        var options = all.Options;
        var total = Stopwatch.StartNew();
        int k = from;
        try
        {
            while (k < to)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                long before = Stopwatch.GetTimestamp();
                var layer = plans.Take(k);
                all.Counts.PlanWaitSeconds += Stopwatch.GetElapsedTime(before).TotalSeconds;
                all.LayerWeights[k] = layer.LayerNonZeros;
                var s = run.Step(layer, k, p.ZeroRowsStayZeroFrom(k + 1));
                all.Stats[k] = all.Stats[k] is not { } sum ? s : new LayerStatistics(s.Layer, sum.LiveImages + s.LiveImages,
                    sum.DistinctRows < 0 || s.DistinctRows < 0 ? -1 : sum.DistinctRows + s.DistinctRows, sum.Seconds + s.Seconds);
                plans.Release(k);
                options.Progress?.Report(k + 1);
                k++;
                if (mergeNow?.Invoke(run) == true) break;
            }
        }
        finally
        {
            all.Seconds += total.Elapsed.TotalSeconds;
        }
        return k;
    }

    private int BatchSize(ImageBatch images, CpuNetworkPlan plan)
    {
        if (_engineOptions.MaxBatchImages > 0) return _engineOptions.MaxBatchImages;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        // Streamed plans count too: the window and those the first batch keeps for the others.
        long planBytes = plan.IsStreaming ? plan.StreamedBytes : plan.HeldBytes;
        long imageBytes = images.Features.NonZeros * (sizeof(int) + sizeof(float));
        double budget = Math.Max(available * 0.6 - planBytes - imageBytes, available * 0.1);
        double perImage = Math.Max(1.0, plan.MaxWidth * RowBytesPerNeuron);
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

    /// <summary>Nothing to release: plans own their memory.</summary>
    public void Dispose() { }

    /// <summary>What the runs of one Execute did, summed over batches.</summary>
    private sealed class RunCounts
    {
        public double PlanWaitSeconds;
        public double? CollectionSeconds;
        public int PlansBuilt, PlansReplanned;
        public long SparseInputTiles, DenseTileTiles, RowKernelTiles, ExactRowTiles;
        public int CheckedLayers;

        public void Add(CpuRun run)
        {
            SparseInputTiles += run.SparseInputTiles;
            DenseTileTiles += run.DenseTileTiles;
            RowKernelTiles += run.RowKernelTiles;
            ExactRowTiles += run.ExactRowTiles;
            CheckedLayers += run.CheckedLayers;
        }
    }

    /// <summary>Streamed plans whose builds are added to the run's count when it is done with them.</summary>
    private sealed class CountedPlans(StreamedLayerPlans plans, RunCounts counts) : ILayerPlanSequence
    {
        public CpuLayerPlan Take(int index) => plans.Take(index);

        public void Release(int index) => plans.Release(index);

        public void Dispose()
        {
            plans.Dispose();
            counts.PlansBuilt += plans.Built;
        }
    }
}
