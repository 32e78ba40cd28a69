using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>What one batch of images produced.</summary>
internal sealed record GpuBatchOutcome(
    int[] SurvivingRows,
    float[][]? SurvivingFeatures,
    int[] LiveImages,
    int[] DistinctRows,
    double[] LayerSeconds,
    double Seconds,
    double UploadSeconds,
    int Checkpoints,
    int Collapses);

/// <summary>
/// Runs one batch of images through a plan. Rows live densely on the device, one slot per
/// image; each layer reads the live list and writes the other feature buffer, and a
/// compaction keeps the rows that still have a nonzero. The host looks at the device only
/// at checkpoints, to shrink launch grids and to merge bit-identical rows (collapse): after
/// a collapse one row stands for several images (its multiplicity), which stays exact because
/// identical rows have identical futures.
/// </summary>
internal sealed class GpuBatchRun : IDisposable
{
    private const int MaxCheckInterval = 64;
    private const int MaxCollapseGap = 4;

    private readonly GpuPlan _plan;
    private readonly GpuDevice _device;
    private readonly GpuEngineOptions _options;
    private readonly AcceleratorStream _stream;
    private readonly int _rows;
    private readonly int _neurons;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _features;
    private readonly MemoryBuffer1D<int, Stride1D.Dense>[] _live;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _liveRows, _liveImages, _nonzeros, _multiplicity;
    private readonly int[] _hostMultiplicity;
    private readonly int[] _representative;
    private int _collapses;

    public GpuBatchRun(GpuPlan plan, GpuEngineOptions options, int rows)
    {
        _plan = plan;
        _device = plan.Device;
        _options = options;
        _rows = rows;
        _neurons = plan.Neurons;
        var accelerator = _device.Accelerator;
        _stream = accelerator.DefaultStream;
        long featureLength = Math.Max(1L, (long)rows * _neurons);
        _features = [accelerator.Allocate1D<float>(featureLength), accelerator.Allocate1D<float>(featureLength)];
        _live = [accelerator.Allocate1D<int>(Math.Max(1, rows)), accelerator.Allocate1D<int>(Math.Max(1, rows))];
        _liveRows = accelerator.Allocate1D<int>(plan.LayerCount + 1);
        _liveImages = accelerator.Allocate1D<int>(plan.LayerCount);
        _nonzeros = accelerator.Allocate1D<int>(Math.Max(1, rows));
        _multiplicity = accelerator.Allocate1D<int>(Math.Max(1, rows));
        _hostMultiplicity = new int[rows];
        _representative = new int[rows];
    }

    /// <summary>Device bytes a batch of <paramref name="rows"/> images needs besides the plan.</summary>
    public static long DeviceBytes(int rows, int neurons, int layers) =>
        2L * rows * neurons * sizeof(float) + 4L * rows * sizeof(int) + 8L * rows + 8L * (layers + 1);

    public GpuBatchOutcome Run(ImageBatch images, InferenceOptions inference)
    {
        int layers = _plan.LayerCount;
        var upload = Stopwatch.StartNew();
        UploadImages(images.Features);
        _stream.Synchronize();
        upload.Stop();

        var liveImages = new int[layers];
        var distinct = new int[layers];
        Array.Fill(distinct, -1);
        var layerSeconds = new double[layers];
        int bound = _rows; // rows the live list may hold: launch grids are sized from it
        int current = 0;
        int nextCheck = 1, checkInterval = 1, nextCollapse = 1, collapseGap = 1, checkpoints = 0;
        var total = Stopwatch.StartNew();
        var layerWatch = new Stopwatch();
        int k = 0;
        for (; k < layers && bound > 0; k++)
        {
            inference.Cancellation.ThrowIfCancellationRequested();
            layerWatch.Restart();
            LaunchLayer(k, current, bound);
            current ^= 1;
            if (_options.TimeEachLayer)
            {
                _stream.Synchronize();
                layerSeconds[k] = layerWatch.Elapsed.TotalSeconds;
            }
            if (k + 1 == nextCheck || k + 1 == layers)
            {
                checkpoints++;
                int rows = ReadInt(_liveRows, k + 1);
                bool changed = rows != bound;
                bound = rows;
                bool collapsing = _options.CollapseIdenticalRows && bound >= 2;
                if (collapsing && k + 1 >= nextCollapse)
                {
                    int merged = Collapse(k, current, bound);
                    bound -= merged;
                    distinct[k] = bound;
                    changed |= merged > 0;
                    collapseGap = merged > 0 ? 1 : Math.Min(2 * collapseGap, MaxCollapseGap);
                    nextCollapse = k + 1 + collapseGap;
                }
                checkInterval = changed ? 1 : Math.Min(2 * checkInterval, collapsing ? MaxCollapseGap : MaxCheckInterval);
                nextCheck = k + 1 + checkInterval;
            }
            inference.Progress?.Report(k + 1);
        }
        _stream.Synchronize();
        // Layers after the last live row died compute nothing: their counts stay zero.
        _liveImages.View.CopyToCPU(liveImages);
        int finalRows = k == layers ? bound : 0;
        var survivors = new int[finalRows];
        if (finalRows > 0) _live[current].View.SubView(0, finalRows).CopyToCPU(survivors);
        total.Stop();

        float[][]? features = null;
        if (inference.KeepFinalFeatures)
        {
            features = new float[finalRows][];
            for (int r = 0; r < finalRows; r++)
            {
                features[r] = new float[_neurons];
                _features[current].View.SubView((long)survivors[r] * _neurons, _neurons).CopyToCPU(features[r]);
            }
        }
        // Each image maps to the row that represents it; an image survives when that row does.
        var rowOf = new Dictionary<int, int>(finalRows);
        for (int r = 0; r < finalRows; r++) rowOf[survivors[r]] = r;
        var survivingRows = new List<int>();
        var survivingFeatures = features is null ? null : new List<float[]>();
        for (int image = 0; image < _rows; image++)
        {
            if (!rowOf.TryGetValue(Find(image), out int r)) continue;
            survivingRows.Add(image);
            survivingFeatures?.Add(features![r]);
        }
        return new GpuBatchOutcome([.. survivingRows], survivingFeatures?.ToArray(), liveImages, distinct, layerSeconds,
            total.Elapsed.TotalSeconds, upload.Elapsed.TotalSeconds, checkpoints, _collapses);
    }

    private void UploadImages(CsrMatrix images)
    {
        var accelerator = _device.Accelerator;
        _features[0].View.MemSetToZero(_stream);
        _liveRows.View.MemSetToZero(_stream);
        _liveImages.View.MemSetToZero(_stream);
        _nonzeros.View.MemSetToZero(_stream);
        var identity = new int[_rows];
        for (int r = 0; r < _rows; r++)
        {
            identity[r] = r;
            _hostMultiplicity[r] = 1;
            _representative[r] = r;
        }
        if (_rows > 0)
        {
            _live[0].View.SubView(0, _rows).CopyFromCPU(identity);
            _multiplicity.View.SubView(0, _rows).CopyFromCPU(_hostMultiplicity);
        }
        _liveRows.View.SubView(0, 1).CopyFromCPU([_rows]);
        int nnz = (int)images.NonZeros;
        if (nnz == 0) return;
        var rowOf = new int[nnz];
        for (int r = 0; r < images.Rows; r++)
            rowOf.AsSpan(images.RowOffsets[r], images.RowOffsets[r + 1] - images.RowOffsets[r]).Fill(r);
        using var rowBuffer = accelerator.Allocate1D(rowOf);
        using var columnBuffer = accelerator.Allocate1D(images.ColumnIndices);
        using var valueBuffer = accelerator.Allocate1D(images.Values);
        _device.Scatter(_stream, nnz, new ScatterArgs
        {
            Rows = _features[0].View,
            RowOf = rowBuffer.View,
            Column = columnBuffer.View,
            Value = valueBuffer.View,
            Neurons = _neurons,
        });
        _stream.Synchronize();
    }

    private void LaunchLayer(int k, int current, int bound)
    {
        var layer = _plan.Layer(k);
        int tiles = (bound + LayerKernel.Tile - 1) / LayerKernel.Tile;
        var args = layer.Bind(new LayerArgs
        {
            Input = _features[current].View,
            Output = _features[current ^ 1].View,
            Live = _live[current].View,
            LiveRows = _liveRows.View,
            Nonzeros = _nonzeros.View,
            Layer = k,
            Neurons = _neurons,
        });
        _device.Layer(_stream, new KernelConfig(new Index2D(layer.Blocks, tiles), new Index2D(TiledLayout.BlockRows, 1)), args);
        int groups = (bound + StateKernels.GroupSize - 1) / StateKernels.GroupSize;
        _device.Compact(_stream, new KernelConfig(groups, StateKernels.GroupSize), new CompactArgs
        {
            LiveIn = _live[current].View,
            LiveOut = _live[current ^ 1].View,
            LiveRows = _liveRows.View,
            LiveImages = _liveImages.View,
            Nonzeros = _nonzeros.View,
            Multiplicity = _multiplicity.View,
            Layer = k,
        });
    }

    /// <summary>
    /// Merges bit-identical rows of the live list after layer <paramref name="k"/>: rows are
    /// grouped by a hash, every candidate is compared bit for bit with its group's first row
    /// on the device, and confirmed duplicates leave the list. Returns the rows removed.
    /// </summary>
    private int Collapse(int k, int current, int rows)
    {
        var accelerator = _device.Accelerator;
        var live = new int[rows];
        var hashes = new ulong[rows];
        _live[current].View.SubView(0, rows).CopyToCPU(live);
        using (var hashBuffer = accelerator.Allocate1D<ulong>(rows))
        {
            _device.Hash(_stream, new KernelConfig(rows, StateKernels.GroupSize), new HashArgs
            {
                Rows = _features[current].View,
                Live = _live[current].View,
                Hashes = hashBuffer.View,
                Neurons = _neurons,
            });
            hashBuffer.View.CopyToCPU(_stream, hashes);
        }
        var firstOfHash = new Dictionary<ulong, int>(rows);
        var candidates = new List<(int Member, int Representative)>();
        for (int r = 0; r < rows; r++)
        {
            if (firstOfHash.TryGetValue(hashes[r], out int rep)) candidates.Add((live[r], live[rep]));
            else firstOfHash[hashes[r]] = r;
        }
        if (candidates.Count == 0) return 0;

        var members = candidates.Select(c => c.Member).ToArray();
        var reps = candidates.Select(c => c.Representative).ToArray();
        var differs = new int[candidates.Count];
        using (var memberBuffer = accelerator.Allocate1D(members))
        using (var repBuffer = accelerator.Allocate1D(reps))
        using (var differsBuffer = accelerator.Allocate1D<int>(candidates.Count))
        {
            differsBuffer.View.MemSetToZero(_stream);
            _device.Compare(_stream, new KernelConfig(candidates.Count, StateKernels.GroupSize), new CompareArgs
            {
                Rows = _features[current].View,
                First = memberBuffer.View,
                Second = repBuffer.View,
                Differs = differsBuffer.View,
                Neurons = _neurons,
            });
            differsBuffer.View.CopyToCPU(_stream, differs);
        }
        var removed = new HashSet<int>();
        for (int c = 0; c < candidates.Count; c++)
        {
            if (differs[c] != 0) continue;
            removed.Add(members[c]);
            _representative[members[c]] = reps[c];
            _hostMultiplicity[reps[c]] += _hostMultiplicity[members[c]];
        }
        if (removed.Count == 0) return 0;
        var kept = live.Where(slot => !removed.Contains(slot)).ToArray();
        _live[current].View.SubView(0, kept.Length).CopyFromCPU(kept);
        _liveRows.View.SubView(k + 1, 1).CopyFromCPU([kept.Length]);
        _multiplicity.View.SubView(0, _rows).CopyFromCPU(_hostMultiplicity);
        _collapses++;
        return removed.Count;
    }

    private int Find(int slot)
    {
        int root = slot;
        while (_representative[root] != root) root = _representative[root];
        while (_representative[slot] != root)
        {
            int next = _representative[slot];
            _representative[slot] = root;
            slot = next;
        }
        return root;
    }

    private static int ReadInt(MemoryBuffer1D<int, Stride1D.Dense> buffer, int index)
    {
        var value = new int[1];
        buffer.View.SubView(index, 1).CopyToCPU(value);
        return value[0];
    }

    public void Dispose()
    {
        foreach (var b in _features) b.Dispose();
        foreach (var b in _live) b.Dispose();
        _liveRows.Dispose();
        _liveImages.Dispose();
        _nonzeros.Dispose();
        _multiplicity.Dispose();
    }
}
