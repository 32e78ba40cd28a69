using System.Diagnostics;
using System.Globalization;
using SpDnn.Engines;
using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>
/// Inference over the ranks of an MPI job (or one process): rank r of P takes the contiguous
/// images [r·n/P, (r+1)·n/P), runs its local engine on them, and the survivors are gathered
/// (all-gather-v of category numbers, which stay ascending because slices are in rank order).
/// The reported inference time is the slowest rank's (ranks start together after a barrier),
/// TE/s uses the global image count, and per-layer live images are summed over ranks.
/// Every step that can fail on one rank alone (reading, planning, inference) ends with an
/// agreement on failure (<see cref="FailureAgreement"/>), so a bad file or an out-of-memory on
/// one rank ends the whole job with that rank's message instead of a hang. Only rank 0 should
/// print or write files; every rank gets the same merged result.
/// </summary>
public static class DistributedRunner
{
    /// <summary>Runs <paramref name="job"/> on this rank; every rank of <paramref name="communicator"/> must call it, and every rank gets the merged result.</summary>
    public static DistributedResult Run(ICommunicator communicator, DistributedJob job)
    {
        int rank = communicator.Rank, size = communicator.Size;
        var readWatch = Stopwatch.StartNew();
        var (network, slice, total) = FailureAgreement.Run(communicator, () =>
        {
            var network = job.OpenNetwork();
            ImageBatch slice;
            int total;
            if (job.Images.KnownCount is { } known)
            {
                total = known;
                var (start, count) = StaticPartition.EvenSlice(total, rank, size);
                slice = job.Images.ReadRange(start, count);
            }
            else
            {
                var all = job.Images.ReadAll();
                total = all.Count;
                var (start, count) = StaticPartition.EvenSlice(total, rank, size);
                slice = all.Slice(start, count);
            }
            if (slice.Neurons != network.Neurons)
                throw new SpDnnDataException(job.Images.Description, $"the images have {slice.Neurons} features but the network has {network.Neurons} neurons");
            return (network, slice, total);
        });
        readWatch.Stop();
        RequireSameEverywhere(communicator, total, "images");
        RequireSameEverywhere(communicator, network.Neurons, "neurons");
        RequireSameEverywhere(communicator, network.LayerCount, "layers");

        using var engine = FailureAgreement.Run(communicator, () => job.CreateEngine(communicator));
        using var plan = FailureAgreement.Run(communicator, () =>
        {
            // Ranks gather categories only: a class read-out or layers of other forms are not merged yet.
            if (!network.IsChallengeForm)
                throw new NotSupportedException($"Several MPI ranks run only challenge-form networks; {network.Description} is a general one ({NetworkFormCheck.Describe(network)}). Run it in one process.");
            return engine.Plan(network, job.Options);
        });
        communicator.Barrier(); // start together, so the slowest rank's time is the job's time
        var local = FailureAgreement.Run(communicator, () => engine.Execute(plan, slice, job.Options));

        var categories = communicator.AllGatherVariable(local.Categories);
        int layers = network.LayerCount;
        var perLayer = Align(local.LayerStatistics, layers);
        // Sums: live images, distinct rows (counted per rank: identical rows on two ranks count twice), and
        // how many ranks did not measure distinct rows.
        var sums = communicator.AllReduceSum([.. perLayer.Select(s => (long)s.LiveImages), .. perLayer.Select(s => (long)Math.Max(0, s.DistinctRows)),
            .. perLayer.Select(s => s.DistinctRows < 0 ? 1L : 0L)]);
        // Maxima: per-layer seconds, inference and planning seconds, and each rank's own time in its slot.
        var rankTimes = new double[size];
        rankTimes[rank] = local.InferenceSeconds;
        var maxima = communicator.AllReduceMax([.. perLayer.Select(s => s.Seconds), local.InferenceSeconds, plan.PlanningSeconds, readWatch.Elapsed.TotalSeconds, .. rankTimes,
            local.UploadSeconds, local.PlanWaitSeconds]);

        var statistics = new LayerStatistics[layers];
        for (int k = 0; k < layers; k++)
            statistics[k] = new LayerStatistics(k + 1, checked((int)sums[k]), sums[2 * layers + k] > 0 ? -1 : checked((int)sums[layers + k]), maxima[k]);
        var details = new Dictionary<string, string>(local.Details)
        {
            ["ranks"] = size.ToString(CultureInfo.InvariantCulture),
            ["communicator"] = communicator.Description,
            ["image input"] = job.Images.ReadsOnlyItsSlice || size == 1 ? "each rank read its slice" : "each rank read the whole set and kept its slice",
            ["rank seconds"] = string.Join(",", maxima.Skip(layers + 3).Take(size).Select(s => s.ToString("G4", CultureInfo.InvariantCulture))),
            ["read seconds"] = maxima[layers + 2].ToString("G4", CultureInfo.InvariantCulture),
        };
        var merged = new InferenceResult
        {
            Engine = size == 1 ? local.Engine : $"{local.Engine} ({size} ranks)",
            Neurons = network.Neurons,
            Layers = layers,
            Images = total,
            Weights = local.Weights,
            Categories = categories,
            PlanningSeconds = maxima[layers + 1],
            InferenceSeconds = maxima[layers],
            UploadSeconds = maxima[layers + 3 + size],
            PlanWaitSeconds = maxima[layers + 4 + size],
            LayerStatistics = statistics,
            FinalFeatures = size == 1 ? local.FinalFeatures : null, // not gathered: survivors' rows can be large
            Details = details,
        };
        return new DistributedResult(merged, maxima[layers + 2], size);
    }

    /// <summary>One entry per layer even if the engine reported fewer (a rank whose images all died early may stop counting).</summary>
    private static LayerStatistics[] Align(IReadOnlyList<LayerStatistics> reported, int layers)
    {
        var aligned = new LayerStatistics[layers];
        for (int k = 0; k < layers; k++) aligned[k] = new LayerStatistics(k + 1, 0, 0, 0);
        foreach (var s in reported)
            if (s.Layer >= 1 && s.Layer <= layers) aligned[s.Layer - 1] = s;
        return aligned;
    }

    private static void RequireSameEverywhere(ICommunicator communicator, int value, string what)
    {
        var all = communicator.AllGather(value);
        if (all.Any(v => v != all[0]))
            throw new RankFailedException($"the ranks disagree on the number of {what}: {string.Join(", ", all.Select((v, r) => $"rank {r}: {v}"))}");
    }
}

/// <summary>The merged result of a distributed run, the same on every rank.</summary>
/// <param name="Result">Categories of all ranks, summed statistics, the slowest rank's times.</param>
/// <param name="ReadSeconds">The slowest rank's time to read the network and its images (not timed in TE/s).</param>
/// <param name="Ranks">Number of ranks.</param>
public sealed record DistributedResult(InferenceResult Result, double ReadSeconds, int Ranks);
