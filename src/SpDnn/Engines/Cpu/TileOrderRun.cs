using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// One inference run in the tile-by-tile order (<see cref="CpuRunOrder.Tiles"/>): each worker takes
/// a tile of 16 images, writes it densely (input i of lane l at [i·16 + l]) and runs it through
/// every layer between two dense tiles that stay in cache, then reads the answer out of the last
/// one. Nothing sparse is written between layers and no live set is kept: for small real models
/// that bookkeeping cost more than the products (measured on the shipped 784-300-100-10 model:
/// copying rows out, densifying them again and page faults of the per-run arenas were ~70% of the
/// layer order's time). Exact: every output is the reference's sum in ascending input order,
/// products and sums rounded separately; the extra products of zero inputs are ±0 (weights are
/// finite, <see cref="CpuLayerPlan.WeightsFinite"/>), and adding ±0 leaves a sum unchanged, since
/// a sum that starts at +0 never becomes -0. The per-tile loops are compiled fully optimised at
/// once: a single run (the CLI's) must not spend its first tiles in tier-0 code.
/// </summary>
internal sealed unsafe class TileOrderRun : IDisposable
{
    private const int Width = CpuLayerPlan.TileWidth;

    private readonly IReadOnlyList<CpuLayerPlan> _layers;
    private readonly ImageBatch _images;
    private readonly CpuEngineOptions _options;
    private readonly InferenceOptions _inference;
    private readonly LayerKernels _kernels;
    private readonly WorkerTeam _team;
    private readonly int _tiles;
    private readonly int _outputs;
    private readonly TileScratch[] _scratch;
    private readonly Action<int> _work;

    /// <summary>Tiles a worker takes at once: they share each pass over a layer's weights.</summary>
    private readonly int _tilesPerItem;

    /// <summary>Per tile, the lanes whose final row is not all zero.</summary>
    private readonly ushort[] _survivors;

    /// <summary>Per tile, its surviving rows (only when final features are kept).</summary>
    private readonly CsrMatrix?[] _finalRows;
    /// <summary>
    /// Items that learn which inputs stay zero; the worker that takes the next one waits until they
    /// are done, then builds <see cref="_deadInputs"/> and runs its item with them. Built at once,
    /// with 16 workers the first 16 items were all still running, their marks mostly missing, and
    /// inputs live in them were left out as dead (tiles nonzero on one of them then missed and ran
    /// the whole layout: on the wide model most of them).
    /// </summary>
    private readonly int _learningItems;

    /// <summary>Learning items finished (counted after their marks, so a reader that sees the count sees the marks).</summary>
    private int _learnedItems;

    /// <summary>A worker failed: the run is over, nobody waits for its learning item.</summary>
    private bool _abandoned;

    /// <summary>Per layer, its layout without the inputs zero so far (null: none, or not built yet).</summary>
    private DeadInputs?[]? _deadInputs;
    private int _nextItem;
    private int _doneTiles;
    private int _reportedLayers;

    public TileOrderRun(IReadOnlyList<CpuLayerPlan> layers, ImageBatch images, CpuEngineOptions options, InferenceOptions inference,
        LayerKernels kernels, WorkerTeam team, int maxWidth, ClassReadOut? readOut)
    {
        if (layers.Any(p => p.Groups is null)) throw new ArgumentException("The tile order needs every layer planned with its column groups.");
        if (layers[0].Inputs != images.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the first layer has {layers[0].Inputs} inputs.");
        _layers = layers;
        _images = images;
        _options = options;
        _inference = inference;
        _kernels = kernels;
        _team = team;
        ReadOut = readOut;
        _outputs = layers[^1].Outputs;
        _tiles = (images.Count + Width - 1) / Width;
        _survivors = new ushort[_tiles];
        _finalRows = new CsrMatrix?[inference.KeepFinalFeatures ? _tiles : 0];
        bool copies = layers.Any(p => p.Copies is not null);
        _scratch = new TileScratch[team.Threads];
        _tilesPerItem = RunOrderChoice.TilesPerItem(options.TilesPerItem, maxWidth);
        // One row more than the widest layer: the zero row the column groups' padding reads.
        for (int w = 0; w < _scratch.Length; w++)
            _scratch[w] = new TileScratch(_tilesPerItem, CpuLayerPlan.PaddedLength(maxWidth + 1), layers, copies);
        _learningItems = DeadInputs.LearningItems(options.DeadInputLearningItems, (_tiles + _tilesPerItem - 1) / _tilesPerItem, team.Threads);
        _work = Work;
    }

    public ClassReadOut? ReadOut { get; }

    /// <summary>Tile-layers computed by scatter and by gather.</summary>
    public long SparseInputTiles => _scratch.Sum(s => s.ScatterTiles);
    public long DenseTileTiles => _scratch.Sum(s => s.GatherTiles);

    /// <summary>Layers given a layout without inputs that stayed zero; tile-layers gathered with one; tile-layers whose check found such an input nonzero.</summary>
    public int DeadInputLayers => _deadInputs?.Count(d => d is not null) ?? 0;
    public long DeadInputTiles => _scratch.Sum(s => s.DeadInputTiles);
    public long DeadInputMisses => _scratch.Sum(s => s.DeadInputMisses);

    /// <summary>Runs every tile through every layer.</summary>
    public void Run()
    {
        if (_team.Threads == 1 || _tiles <= _tilesPerItem) _work(0); else _team.Run(_work);
    }

    /// <summary>The images whose final row is not all zero, ascending.</summary>
    public int[] Categories()
    {
        int count = 0;
        foreach (ushort bits in _survivors) count += BitOperations.PopCount(bits);
        var categories = new int[count];
        int at = 0;
        for (int t = 0; t < _tiles; t++)
        {
            uint bits = _survivors[t];
            while (bits != 0)
            {
                categories[at++] = _images.ImageNumber(t * Width + BitOperations.TrailingZeroCount(bits));
                bits &= bits - 1;
            }
        }
        return categories;
    }

    /// <summary>The surviving images' final rows, in image order (when kept).</summary>
    public CsrMatrix? FinalFeatures()
    {
        if (!_inference.KeepFinalFeatures) return null;
        int rows = _finalRows.Sum(m => m!.Rows);
        long nonZeros = _finalRows.Sum(m => m!.NonZeros);
        var offsets = new int[rows + 1];
        var columns = new int[nonZeros];
        var values = new float[nonZeros];
        int row = 0, at = 0;
        foreach (var m in _finalRows)
        {
            for (int r = 0; r < m!.Rows; r++) offsets[row + r + 1] = at + m.RowOffsets[r + 1];
            m.ColumnIndices.CopyTo(columns, at);
            m.Values.CopyTo(values, at);
            row += m.Rows;
            at += (int)m.NonZeros;
        }
        return new CsrMatrix(rows, _outputs, offsets, columns, values);
    }

    /// <summary>Per layer: images whose row is not all zero; seconds: the run's time shared out as the workers spent it.</summary>
    public LayerStatistics[] Statistics(double seconds)
    {
        int layers = _layers.Count;
        var ticks = new long[layers];
        var live = new long[layers];
        foreach (var s in _scratch)
            for (int k = 0; k < layers; k++)
            {
                ticks[k] += s.LayerTicks[k];
                live[k] += s.LiveRows[k];
            }
        double all = Math.Max(1, ticks.Sum());
        return [.. Enumerable.Range(0, layers).Select(k => new LayerStatistics(k + 1, (int)live[k], -1, seconds * ticks[k] / all))];
    }

    private void Work(int worker)
    {
        var scratch = _scratch[worker];
        try
        {
            while (true)
            {
                int item = Interlocked.Increment(ref _nextItem) - 1;
                int tile = item * _tilesPerItem;
                if (tile >= _tiles) return;
                _inference.Cancellation.ThrowIfCancellationRequested();
                int count = Math.Min(_tilesPerItem, _tiles - tile);
                if (item == _learningItems) LearnDeadInputs();
                // No marks when no layouts will be built from them.
                bool learning = item < _learningItems && _learningItems != int.MaxValue;
                RunTiles(tile, count, scratch, learning);
                if (learning) Interlocked.Increment(ref _learnedItems);
                int done = Interlocked.Add(ref _doneTiles, count);
                if (worker == 0 && _inference.Progress is { } progress)
                {
                    int layers = (int)((long)done * _layers.Count / _tiles);
                    if (layers > _reportedLayers) progress.Report(_reportedLayers = layers);
                }
            }
        }
        catch
        {
            // A worker waiting in LearnDeadInputs for this worker's learning item must not wait on.
            Volatile.Write(ref _abandoned, true);
            throw;
        }
    }

    /// <summary>
    /// The layouts without the inputs no learning item has seen nonzero, once every one of them has
    /// finished (the interlocked count orders their marks before this read). Published at once for every layer.
    /// </summary>
    private void LearnDeadInputs()
    {
        // The learning items were all taken before this one; the workers running them never
        // wait, so they finish (at most one item's time: the small model's 19 learning items are
        // ~60 us each on one core) unless one fails.
        var spin = new SpinWait();
        while (Volatile.Read(ref _learnedItems) < _learningItems)
        {
            if (Volatile.Read(ref _abandoned)) return;
            spin.SpinOnce(sleep1Threshold: -1);
        }
        var found = new DeadInputs?[_layers.Count];
        for (int k = 0; k < found.Length; k++)
            found[k] = DeadInputs.Find(_layers[k], _scratch.Select(s => s.Seen[k]));
        Volatile.Write(ref _deadInputs, found);
    }

    /// <summary>
    /// Tiles <paramref name="first"/> .. first+count-1 through every layer, sharing each pass over a
    /// layer's weights (<see cref="LayerKernels.GatherGroupQuad"/>, <see cref="LayerKernels.GatherGroupPair"/>).
    /// While <paramref name="learning"/>, marks every layer's inputs that are nonzero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTiles(int first, int count, TileScratch scratch, bool learning)
    {
        var x = scratch.A;
        var y = scratch.B;
        var deadInputs = Volatile.Read(ref _deadInputs);
        for (int t = 0; t < count; t++)
        {
            Densify(first + t, x[t]);
            scratch.NonZeroInputRows[t] = -1;
        }
        for (int k = 0; k < _layers.Count; k++)
        {
            long start = Stopwatch.GetTimestamp();
            var layer = _layers[k];
            var target = layer.Copies is null ? y : scratch.Distinct;
            bool scattered = false;
            for (int t = 0; t < count; t++)
                scattered |= scratch.Scatter[t] = ScatterPays(layer, x[t], scratch.NonZeroInputRows[t], scratch.Inputs(t), out scratch.InputCounts[t]);
            if (learning)
                fixed (ulong* seen = scratch.Seen[k])
                    for (int t = 0; t < count; t++) _kernels.MarkNonZeroRows(x[t], layer.Inputs, seen);
            var groups = layer.Groups!;
            if (deadInputs?[k] is { } dead)
            {
                if (ZeroOnDeadInputs(dead, x, count))
                {
                    groups = dead.Groups;
                    scratch.DeadInputTiles += count;
                }
                else
                {
                    scratch.DeadInputMisses += count;
                }
            }
            int done = 0;
            if (!scattered)
            {
                scratch.GatherTiles += count;
                for (; done + 4 <= count; done += 4)
                    _kernels.GatherGroupQuad(layer, groups, x[done], x[done + 1], x[done + 2], x[done + 3], target[done], target[done + 1], target[done + 2], target[done + 3]);
                for (; done + 2 <= count; done += 2)
                    _kernels.GatherGroupPair(layer, groups, x[done], x[done + 1], target[done], target[done + 1]);
            }
            for (int t = done; t < count; t++)
            {
                if (scratch.Scatter[t])
                {
                    scratch.ScatterTiles++;
                    _kernels.ScatterDense(layer, scratch.Inputs(t), scratch.InputCounts[t], x[t], scratch.Sums, target[t]);
                }
                else
                {
                    scratch.GatherTiles++;
                    _kernels.GatherGroups(layer, groups, x[t], target[t]);
                }
            }
            for (int t = 0; t < count; t++)
            {
                if (layer.Copies is { } copies) Spread(copies, target[t], y[t]);
                // The row past the outputs is the next layer's padding input (ColumnGroups): zero.
                new Span<float>(y[t] + layer.Outputs * Width, Width).Clear();
                // One pass: the next layer's density rule and the images still live.
                scratch.NonZeroInputRows[t] = _kernels.NonZeroRowCount(y[t], layer.Outputs, out uint lanes);
                scratch.Lanes[t] = lanes & ValidLanes(first + t);
                scratch.LiveRows[k] += BitOperations.PopCount(scratch.Lanes[t]);
            }
            (x, y) = (y, x);
            scratch.LayerTicks[k] += Stopwatch.GetTimestamp() - start;
        }
        for (int t = 0; t < count; t++)
        {
            int tile = first + t;
            uint survivors = scratch.Lanes[t];
            _survivors[tile] = (ushort)survivors;
            if (ReadOut is not null) ReadClasses(tile, x[t]);
            if (_inference.KeepFinalFeatures) _finalRows[tile] = Survivors(survivors, x[t]);
        }
    }

    /// <summary>Whether every tile of the item is ±0 on the layer's dead inputs (then their products may be left out).</summary>
    private bool ZeroOnDeadInputs(DeadInputs dead, TileBuffers x, int count)
    {
        fixed (int* rows = dead.RowOffsets)
            for (int t = 0; t < count; t++)
                if (!_kernels.ZeroOnRows(x[t], rows, dead.RowOffsets.Length)) return false;
        return true;
    }

    /// <summary>Lanes of <paramref name="tile"/> that hold images (the last tile may be partial).</summary>
    private uint ValidLanes(int tile)
    {
        int lanes = Math.Min(Width, _images.Count - tile * Width);
        return lanes == Width ? 0xFFFFu : (1u << lanes) - 1;
    }

    /// <summary>Writes the images of <paramref name="index"/> into the tile (one lane each), zero elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Densify(int index, float* tile)
    {
        int first = index * Width, lanes = Math.Min(Width, _images.Count - first);
        var f = _images.Features;
        new Span<float>(tile, (f.Columns + 1) * Width).Clear();
        for (int l = 0; l < lanes; l++)
        {
            var indices = f.RowIndices(first + l);
            var values = f.RowValues(first + l);
            for (int e = 0; e < indices.Length; e++) tile[indices[e] * Width + l] = values[e];
        }
    }

    /// <summary>
    /// Whether the layer is cheaper scattered over the tile's nonzero inputs (then listed in
    /// <paramref name="list"/>, <paramref name="listed"/> of them) than gathered, by the engine's
    /// density rule. <paramref name="nonZeroRows"/>: the tile's nonzero rows when the previous
    /// layer counted them, else -1; the list is written only for a scatter.
    /// </summary>
    private bool ScatterPays(CpuLayerPlan layer, float* x, int nonZeroRows, int* list, out int listed)
    {
        listed = 0;
        if (_options.Formulation == CpuFormulation.DenseTile) return false;
        if (_options.Formulation != CpuFormulation.SparseInput)
        {
            int rows = nonZeroRows >= 0 ? nonZeroRows : _kernels.NonZeroRowCount(x, layer.Inputs, out _);
            if (rows >= _options.DenseTileMinDensity * layer.Inputs) return false;
        }
        listed = _kernels.NonZeroRows(x, layer.Inputs, list);
        return true;
    }

    /// <summary>Writes each distinct output's row to every layer output it stands for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Spread(OutputCopies copies, float* distinct, float* output)
    {
        var starts = copies.Starts;
        var outputs = copies.Outputs;
        for (int d = 0; d < copies.Distinct; d++)
        {
            var row = new ReadOnlySpan<float>(distinct + d * Width, Width);
            for (int p = starts[d]; p < starts[d + 1]; p++) row.CopyTo(new Span<float>(output + outputs[p] * Width, Width));
        }
    }

    /// <summary>Each image's class, by the one read-out rule, all lanes at once; its logits (+0 where the reference's sparse row has no entry) when kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadClasses(int index, float* tile)
    {
        int first = index * Width, lanes = Math.Min(Width, _images.Count - first);
        var readOut = ReadOut!;
        float* classes = stackalloc float[Width];
        _kernels.ArgmaxLanes(tile, _outputs, classes);
        for (int l = 0; l < lanes; l++) readOut.Classes[first + l] = (int)classes[l];
        if (readOut.Logits is not { } logits) return;
        for (int l = 0; l < lanes; l++)
        {
            var row = logits.AsSpan((int)((long)(first + l) * _outputs), _outputs);
            for (int j = 0; j < _outputs; j++)
            {
                float v = tile[j * Width + l];
                row[j] = v == 0f ? 0f : v;
            }
        }
    }

    /// <summary>The nonzero entries of the surviving lanes' rows, as the reference's sparse rows.</summary>
    private CsrMatrix Survivors(uint survivors, float* tile)
    {
        int rows = BitOperations.PopCount(survivors);
        var offsets = new int[rows + 1];
        var columns = new List<int>();
        var values = new List<float>();
        int row = 0;
        for (uint bits = survivors; bits != 0; bits &= bits - 1)
        {
            int l = BitOperations.TrailingZeroCount(bits);
            for (int j = 0; j < _outputs; j++)
            {
                float v = tile[j * Width + l];
                if (v == 0f) continue;
                columns.Add(j);
                values.Add(v);
            }
            offsets[++row] = columns.Count;
        }
        return new CsrMatrix(rows, _outputs, offsets, [.. columns], [.. values]);
    }

    public void Dispose()
    {
        foreach (var s in _scratch) s.Dispose();
    }

    /// <summary>A worker's tiles of one kind (inputs, outputs...), one per tile of a work item, by index.</summary>
    private sealed class TileBuffers(int count, long floats) : IDisposable
    {
        private readonly nint[] _buffers = [.. Enumerable.Range(0, count).Select(_ => (nint)Allocate<float>(floats))];

        public float* this[int t] => (float*)_buffers[t];

        public void Dispose()
        {
            foreach (var b in _buffers) NativeMemory.AlignedFree((void*)b);
        }
    }

    /// <summary>A worker's dense tiles (64-byte aligned, one of each kind per tile of a work item) and counters.</summary>
    private sealed class TileScratch : IDisposable
    {
        public TileScratch(int tiles, int padded, IReadOnlyList<CpuLayerPlan> plans, bool copies)
        {
            int layers = plans.Count;
            Seen = [.. plans.Select(p => new ulong[(p.Inputs + 63) / 64])];
            long floats = (long)padded * Width;
            A = new TileBuffers(tiles, floats);
            B = new TileBuffers(tiles, floats);
            Distinct = new TileBuffers(copies ? tiles : 0, floats);
            Sums = Allocate<float>(floats);
            _inputs = [.. Enumerable.Range(0, tiles).Select(_ => (nint)Allocate<int>(padded))];
            InputCounts = new int[tiles];
            NonZeroInputRows = new int[tiles];
            Lanes = new uint[tiles];
            Scatter = new bool[tiles];
            LayerTicks = new long[layers];
            LiveRows = new long[layers];
        }

        private readonly nint[] _inputs;

        /// <summary>Per tile, the two tiles a layer reads and writes, swapped after each layer.</summary>
        public TileBuffers A { get; }
        public TileBuffers B { get; }

        /// <summary>Per tile, a layer's distinct outputs before they are spread to their copies (none when no layer has copies).</summary>
        public TileBuffers Distinct { get; }

        /// <summary>The scatter's sums; zero between layers.</summary>
        public float* Sums { get; }

        /// <summary>Per tile, its nonzero inputs, ascending, for the scatter; their number; whether it scatters.</summary>
        public int* Inputs(int t) => (int*)_inputs[t];
        public int[] InputCounts { get; }
        public bool[] Scatter { get; }

        /// <summary>Per tile, its input's nonzero rows as the previous layer counted them (-1 before the first layer).</summary>
        public int[] NonZeroInputRows { get; }

        /// <summary>Per tile, its images whose last output row is not all zero.</summary>
        public uint[] Lanes { get; }

        public long[] LayerTicks { get; }
        public long[] LiveRows { get; }
        public long ScatterTiles;
        public long GatherTiles;
        public long DeadInputTiles;
        public long DeadInputMisses;

        /// <summary>Per layer, bit i: input i was nonzero in some tile this worker learned from.</summary>
        public ulong[][] Seen { get; }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
            Distinct.Dispose();
            NativeMemory.AlignedFree(Sums);
            foreach (var p in _inputs) NativeMemory.AlignedFree((void*)p);
        }
    }

    private static T* Allocate<T>(long count) where T : unmanaged
    {
        var bytes = (nuint)(Math.Max(count, 1) * sizeof(T));
        var p = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(p, bytes);
        return p;
    }
}
