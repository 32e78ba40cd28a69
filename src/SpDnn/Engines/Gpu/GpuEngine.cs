using System.Diagnostics;
using System.Globalization;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The GPU engine (ILGPU; CUDA, or ILGPU's CPU simulator for tests). Planning turns every layer
/// into a warp-sliced ELL layout on the CPU, in parallel, packs layers into chunks and uploads
/// them (or keeps them in page-locked host memory and streams them when they do not fit);
/// inference runs a persistent kernel over a chunk of layers per launch (sparse multiply, bias,
/// ReLU, cap and live-list compaction), merges bit-identical rows at checkpoints, and runs
/// full-width layers with scattered connectivity through <see cref="ResidentInputKernel"/>.
/// Results are bit-identical to the reference engine: each output sums its inputs in ascending
/// order with each product rounded, as the reference does; fused multiply-adds are used only
/// where they give the same bits (every weight a power of two and every input of the stage
/// keeping the products exact: <see cref="ExactProducts"/>). General networks (layers of any
/// shape, activation and bias mode; a class read-out) run the same kernels compiled for
/// per-layer forms (<see cref="GeneralLayers"/>); the challenge's form keeps its own.
/// </summary>
public sealed class GpuEngine : IInferenceEngine
{
    private readonly GpuDevice _device;
    private readonly GpuEngineOptions _options;
    private int _barrierRetries;

    /// <summary>Opens the device the options name (CUDA device 0 by default); throws when it is not there.</summary>
    public GpuEngine(GpuEngineOptions? options = null)
    {
        _options = options ?? new GpuEngineOptions();
        _device = GpuDevice.Open(_options.Accelerator, _options.DeviceIndex, _options.SimulatedMultiprocessors, _options.TimeEachLayer);
        if (_options.ResidentGroupsOverride > 0) _device.OverrideResidentGroups(_options.ResidentGroupsOverride);
    }

    /// <summary>"gpu", with the settings that differ from the defaults (the device index aside).</summary>
    public string Name => "gpu" + _options.SpecSuffix();

    /// <summary>The accelerator in words, for reports.</summary>
    public string DeviceDescription => _device.Description;

    /// <summary>
    /// Measures the device memory's copy ceiling (<see cref="DeviceCopyCeiling"/>): a copy of
    /// <paramref name="bufferBytes"/>, or where 0, 1 GiB on CUDA (at most a quarter of the free
    /// memory) and 8 MiB on the simulator; the fastest of <paramref name="repeats"/> copies.
    /// </summary>
    public DeviceCopyCeiling MeasureCopyCeiling(long bufferBytes = 0, int repeats = 10)
    {
        if (bufferBytes == 0)
            bufferBytes = _device.IsCuda ? Math.Min(1L << 30, _device.FreeMemory / 8 / sizeof(int) * sizeof(int)) : 8L << 20;
        return DeviceCopyCeiling.Measure(_device.Accelerator, _device.Description, bufferBytes, repeats);
    }

    /// <summary>True when a CUDA device is present and usable (the engine `auto` picks then).</summary>
    public static bool IsCudaAvailable() => GpuDevice.CudaAvailable();

    /// <summary>Number of usable CUDA devices (0 without a driver): what <c>--gpus all</c> means.</summary>
    public static int CudaDeviceCount() => GpuDevice.CudaDeviceCount();

    /// <inheritdoc/>
    public bool RunsGeneralForm => true;

    /// <inheritdoc/>
    public IEnginePlan Plan(ILayerSource network, InferenceOptions options) => new GpuPlan(_device, network, _options, options);

    /// <summary>True: every layer is planned once (on other threads while the first run starts, see <see cref="GpuPlan"/>), and runs read only the plan.</summary>
    public bool ReadsLayersOnlyWhilePlanning => true;

    /// <inheritdoc/>
    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as GpuPlan ?? throw new ArgumentException("The plan was not made by the GPU engine.", nameof(plan));
        if (p.Device != _device) throw new ArgumentException("The plan belongs to another GPU engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");

        int batch = BatchSize(p, images.Count);
        int layers = p.LayerCount;
        var liveImages = new long[layers];
        var distinct = new int[layers];
        var layerSeconds = new double[layers];
        var categories = new List<int>();
        var finalRows = new List<(int Image, float[] Row)>();
        var readOut = p.ReadOut == ReadOut.Class ? new ClassReadOut(images.Count, p.Outputs, options.KeepFinalFeatures) : null;
        double seconds = 0, upload = 0, planWait = 0;
        int checkpoints = 0, collapses = 0, batches = 0, launches = 0, tailLayers = 0, uploadCollections = 0;
        bool planCompleteAtUpload = true;
        var encodings = new SortedSet<string>(StringComparer.Ordinal);
        for (int start = 0; start < images.Count || (start == 0 && images.Count == 0); start += batch)
        {
            int count = Math.Min(batch, images.Count - start);
            var slice = count == images.Count ? images : images.Slice(start, count);
            var outcome = RunBatch(p, slice, count, options);
            batches++;
            seconds += outcome.Seconds;
            upload += outcome.UploadSeconds;
            planWait += outcome.PlanWaitSeconds;
            checkpoints += outcome.Checkpoints;
            collapses += outcome.Collapses;
            launches += outcome.Launches;
            tailLayers += outcome.TailLayers;
            uploadCollections += outcome.UploadCollections;
            planCompleteAtUpload &= outcome.PlanCompleteAtUpload;
            encodings.Add(EncodingName(outcome.Encoding));
            for (int k = 0; k < layers; k++)
            {
                liveImages[k] += outcome.LiveImages[k];
                distinct[k] = batches == 1 ? outcome.DistinctRows[k]
                    : distinct[k] < 0 || outcome.DistinctRows[k] < 0 ? -1 : distinct[k] + outcome.DistinctRows[k];
                layerSeconds[k] += outcome.LayerSeconds[k];
            }
            long readStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < outcome.SurvivingRows.Length; i++)
            {
                int image = slice.ImageNumber(outcome.SurvivingRows[i]);
                categories.Add(image);
                if (outcome.SurvivingFeatures is not { } f) continue;
                if (options.KeepFinalFeatures) finalRows.Add((image, f[i]));
                readOut?.Add(start + outcome.SurvivingRows[i], Sparse(f[i], out var values), values);
            }
            // The classes are the answer: their time belongs to the inference.
            if (readOut is not null) seconds += Stopwatch.GetElapsedTime(readStart).TotalSeconds;
            if (images.Count == 0) break;
        }

        // Figures of the whole plan: a run that ended early (every row dead) may not have waited for its last chunks.
        p.WaitComplete();
        var stats = new LayerStatistics[layers];
        for (int k = 0; k < layers; k++) stats[k] = new LayerStatistics(k + 1, (int)liveImages[k], distinct[k], layerSeconds[k]);
        var details = new Dictionary<string, string>
        {
            ["device"] = _device.Description,
            ["padding"] = p.PaddingRatio.ToString("F6", CultureInfo.InvariantCulture),
            ["computedShare"] = p.ComputedShare.ToString("F6", CultureInfo.InvariantCulture),
            ["warpRows"] = p.WarpRowCount.ToString(CultureInfo.InvariantCulture),
            ["planBytes"] = p.DeviceBytes.ToString(CultureInfo.InvariantCulture),
            ["batches"] = batches.ToString(CultureInfo.InvariantCulture),
            ["checkpoints"] = checkpoints.ToString(CultureInfo.InvariantCulture),
            ["collapses"] = collapses.ToString(CultureInfo.InvariantCulture),
            ["launches"] = launches.ToString(CultureInfo.InvariantCulture),
            ["residentGroups"] = _device.MaxResidentGroups.ToString(CultureInfo.InvariantCulture),
            ["kernelSeconds"] = _device.KernelSeconds.ToString("G4", CultureInfo.InvariantCulture),
            ["barrierRetries"] = _barrierRetries.ToString(CultureInfo.InvariantCulture),
            ["residentBytes"] = p.ResidentBytes.ToString(CultureInfo.InvariantCulture),
            ["streamedChunks"] = p.StreamedChunks.ToString(CultureInfo.InvariantCulture),
            ["streamedBytes"] = p.StreamedBytes.ToString(CultureInfo.InvariantCulture),
            ["planningSeconds"] = p.PlanningSeconds.ToString("G6", CultureInfo.InvariantCulture),
            ["planPhases"] = p.Phases,
            ["planCache"] = p.CacheState,
            ["stagingRatio"] = p.StagingRatio.ToString("F3", CultureInfo.InvariantCulture),
            ["featureRows"] = p.StoresDistinctRows ? "distinct" : "all",
            // Which kernels are compiled for general layers: none, those that stage a layer's inputs, or all.
            ["generalKernels"] = p.ProgramUsesGeneralKernels ? "all" : p.UsesGeneralKernels ? "staging" : "none",
            ["residentInputLayers"] = p.ResidentLayerCount.ToString(CultureInfo.InvariantCulture),
            ["residentInputColumns"] = p.ResidentColumns.ToString(CultureInfo.InvariantCulture),
            ["residentInputPartInputs"] = p.PartInputs.ToString(CultureInfo.InvariantCulture),
            // Whether the widest layer's resident-input stage keeps copies of its inputs (StageCopies).
            ["stageCopies"] = p.StageCopyCapacityFor(p.MaxWidth) > 0 ? "on" : "off",
            ["columnLaneLayers"] = p.ColumnLaneLayerCount.ToString(CultureInfo.InvariantCulture),
            ["splitLanes"] = p.SplitLanes.ToString(CultureInfo.InvariantCulture),
            ["tailLayers"] = tailLayers.ToString(CultureInfo.InvariantCulture),
            ["tailColumns"] = p.TailColumns.ToString(CultureInfo.InvariantCulture),
            // Why an upload may take longer than its copy: full collections during it, or a plan
            // still being made beside it (rows=distinct at 65536 x 120: NOTES v18).
            ["uploadGen2Collections"] = uploadCollections.ToString(CultureInfo.InvariantCulture),
            ["planCompleteAtUpload"] = planCompleteAtUpload ? "yes" : "no",
            // How the images reached the device (bits: the first layer read them as such).
            ["images"] = string.Join(", ", encodings),
        };
        return new InferenceResult
        {
            Engine = Name,
            Neurons = p.Neurons,
            Layers = layers,
            Images = images.Count,
            Weights = p.Weights,
            Categories = [.. categories],
            Classes = readOut?.Classes,
            Logits = readOut?.Logits,
            InferenceSeconds = seconds,
            UploadSeconds = upload,
            PlanWaitSeconds = planWait,
            LayerStatistics = stats,
            FinalFeatures = options.KeepFinalFeatures ? ToCsr(finalRows, p.Outputs) : null,
            Details = details,
        };
    }

    /// <summary>
    /// Runs one batch; should a grid barrier time out (fewer groups resident than the occupancy
    /// figure promised), runs it again from the start with half the groups.
    /// </summary>
    private GpuBatchOutcome RunBatch(GpuPlan plan, ImageBatch slice, int count, InferenceOptions options)
    {
        while (true)
        {
            try
            {
                using var run = new GpuBatchRun(plan, _options, count);
                return run.Run(slice, options);
            }
            catch (GridBarrierTimeoutException) when (_device.ReduceResidentGroups())
            {
                _barrierRetries++;
            }
        }
    }

    /// <summary>Images per batch: all of them when their feature buffers fit next to the plan.</summary>
    private int BatchSize(GpuPlan plan, int images)
    {
        if (images <= 1) return Math.Max(1, images);
        // A plan still being made leaves room for its chunks to come.
        long budget = _options.DeviceMemoryBudget > 0
            ? _options.DeviceMemoryBudget - plan.ExpectedDeviceBytes
            : (long)(_device.FreeMemory * 0.9) - (plan.ExpectedDeviceBytes - plan.DeviceBytes);
        long perImage = GpuBatchRun.DeviceBytes(2, plan.MaxWidth, plan.LayerCount) - GpuBatchRun.DeviceBytes(1, plan.MaxWidth, plan.LayerCount);
        long fit = Math.Max(1, budget / Math.Max(1, perImage));
        return (int)Math.Min(images, fit);
    }

    /// <summary>The nonzero entries of a dense row: their indices, ascending, and (in <paramref name="values"/>) their values.</summary>
    private static int[] Sparse(float[] row, out float[] values)
    {
        int count = 0;
        foreach (float v in row) if (v != 0f) count++;
        var indices = new int[count];
        values = new float[count];
        for (int j = 0, e = 0; j < row.Length; j++)
        {
            if (row[j] == 0f) continue;
            indices[e] = j;
            values[e++] = row[j];
        }
        return indices;
    }

    private static CsrMatrix ToCsr(List<(int Image, float[] Row)> rows, int neurons)
    {
        var offsets = new int[rows.Count + 1];
        var columns = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r].Row;
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] == 0f) continue;
                columns.Add(j);
                values.Add(row[j]);
            }
            offsets[r + 1] = columns.Count;
        }
        return new CsrMatrix(rows.Count, neurons, offsets, [.. columns], [.. values]);
    }

    /// <summary>Releases the device and its memory; plans made by the engine are unusable after.</summary>
    public void Dispose() => _device.Dispose();

    private static string EncodingName(ImageEncoding encoding) => encoding switch
    {
        ImageEncoding.Bits => "bits",
        ImageEncoding.Bitmap => "bitmap",
        ImageEncoding.SparseRows => "sparse rows",
        _ => "empty",
    };
}
