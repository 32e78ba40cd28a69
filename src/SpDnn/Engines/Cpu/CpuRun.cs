using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// One inference run of <see cref="CpuEngine"/>: the live rows as sparse rows in per-worker
/// arenas (double-buffered by layer parity), the live set, and the layer loop. Everything the
/// loop touches is allocated before it starts or grows only while early layers grow the rows.
/// Layers may change the row width (scratch is sized by the widest layer); an all-zero row leaves
/// the live set only while every later layer keeps zero rows zero (<see cref="CpuNetworkPlan.ZeroRowsStayZeroFrom"/>),
/// otherwise it stays as an empty live row (rows of equal content are still merged when checked).
/// </summary>
internal sealed unsafe class CpuRun : IDisposable
{
    private const int Width = CpuLayerPlan.TileWidth;

    /// <summary>With at most this many distinct rows, identical rows are looked for after every layer (it costs next to nothing).</summary>
    private const int AlwaysCheckRows = 64;

    /// <summary>Most distinct rows computed by the row kernel: twice as fast as a tile for one row, no faster for two (measured).</summary>
    private const int RowKernelMaxRows = 1;

    /// <summary>Below this many tile-weight products (16 rows each) a layer runs on the calling thread alone.</summary>
    private const double SmallLayerWeights = 1 << 17;

    /// <summary>Longest gap, in layers, between searches for identical rows while they find none.</summary>
    private const int MaxCheckInterval = 8;

    private readonly CpuEngineOptions _options;
    private readonly LayerKernels _kernels;
    private readonly WorkerTeam _team;
    private readonly int _threads;
    private readonly int _padded;

    /// <summary>Width of the current rows: the next layer's inputs.</summary>
    private int _width;

    /// <summary>Whether a row that becomes empty may leave the live set for good (no later layer adds its bias always).</summary>
    private bool _dropEmptyRows;
    private readonly LiveSet _live;
    private readonly LiveSetRowTable? _table;
    private readonly SparseArena[][] _arenas;
    private readonly SparseArena[] _imageArena;
    private readonly WorkerScratch[] _scratch;
    private readonly Action<int> _work;
    private readonly RowRef[] _rows;
    private readonly RowRef[] _out;
    private readonly ulong[] _hashes;
    private readonly int[] _remap;
    private readonly int[] _firstRowOf;
    private readonly CpuRunBuffers _buffers;

    // The current layer's job, read by the workers.
    private SparseArena[] _input;
    private SparseArena[] _output;
    private CpuLayerPlan? _plan;
    private int _distinct;
    private int _items;
    private int _parts;
    private bool _hashOutputs;
    private bool _rowKernel;
    private bool _exactRows;
    private int _nextItem;

    /// <param name="images">The images or rows; the run takes rows <paramref name="first"/> .. first+count-1, read in place (a batch of a larger set is not copied out of it).</param>
    /// <param name="maxWidth">The widest layer input or output of the network.</param>
    /// <param name="dropEmptyRows">Whether empty image rows stay empty through every layer to come, so they are dead from the start.</param>
    /// <param name="buffers">The arenas and scratch to work in, kept from batch to batch (sized for <paramref name="maxWidth"/> and the team's threads).</param>
    /// <param name="fromFirstLayer">Whether the images are the network's inputs (not rows merged from batches after some layers): see <see cref="ArenaEntries"/>.</param>
    public CpuRun(BatchRows images, int first, int count, CpuEngineOptions options, LayerKernels kernels, WorkerTeam team, int maxWidth, bool dropEmptyRows, CpuRunBuffers buffers,
        bool fromFirstLayer = true)
    {
        if (buffers.Threads != team.Threads || buffers.Padded != CpuLayerPlan.PaddedLength(maxWidth))
            throw new ArgumentException("The buffers were made for another team or width.", nameof(buffers));
        _buffers = buffers;
        if (images.Width > maxWidth) throw new ArgumentException($"The images have {images.Width} features, more than the network's widest layer ({maxWidth}).");
        _width = images.Width;
        _dropEmptyRows = dropEmptyRows;
        _options = options;
        _kernels = kernels;
        _team = team;
        _threads = team.Threads;
        _padded = CpuLayerPlan.PaddedLength(maxWidth);
        if (first < 0 || count < 0 || first + count > images.Count) throw new ArgumentOutOfRangeException(nameof(count));
        long entries = images.Entries(first, count);
        _live = new LiveSet(count);
        _table = options.CollapseIdenticalRows ? new LiveSetRowTable(count) : null;
        _rows = new RowRef[count];
        _out = new RowRef[count];
        _hashes = new ulong[count];
        _remap = new int[count];
        _firstRowOf = new int[count];
        // Arenas grow beyond this when needed. The buffers' arenas keep what earlier batches grew
        // them to: memory touched once, not per batch.
        _arenas = new SparseArena[2][];
        for (int parity = 0; parity < 2; parity++)
        {
            int perWorker = ArenaEntries(entries, _threads, _padded, parity, fromFirstLayer);
            _arenas[parity] = new SparseArena[_threads];
            for (int w = 0; w < _threads; w++) _arenas[parity][w] = buffers.Arena(parity, w, perWorker);
        }
        _scratch = buffers.Scratch;
        foreach (var s in _scratch) s.ScatterTiles = s.GatherTiles = s.RowTiles = s.ExactRowTiles = 0;
        _work = Work;

        // The input images are read in place; empty rows are dead from the start unless a layer
        // to come adds its bias always.
        _imageArena = [.. images.Sources.Select(m => new SparseArena(m.ColumnIndices, m.Values))];
        _input = _imageArena;
        _output = _arenas[0];
        int live = 0;
        for (int r = 0; r < count; r++)
        {
            var row = images.Row(first + r);
            if (row.Length == 0 && dropEmptyRows) { _remap[r] = -1; continue; }
            _rows[live] = row;
            _remap[r] = live++;
        }
        _live.Remap(_remap.AsSpan(0, count), live);
    }

    public LiveSet Live => _live;

    /// <summary>Tiles (of up to 16 distinct rows, or shares of one) computed by each formulation.</summary>
    public long SparseInputTiles => _scratch.Sum(s => s.ScatterTiles);
    public long DenseTileTiles => _scratch.Sum(s => s.GatherTiles);
    public long RowKernelTiles => _scratch.Sum(s => s.RowTiles);
    public long ExactRowTiles => _scratch.Sum(s => s.ExactRowTiles);

    /// <summary>Layers after which identical rows were looked for.</summary>
    public int CheckedLayers { get; private set; }

    private static readonly ulong EmptyRowHash = RowHash.Compute([], []);

    private int _checkInterval = 1;
    private int _nextCheckLayer;

    /// <summary>
    /// Computes one layer for the live rows and updates the live set; returns the layer's
    /// statistics (live images: those whose row is not empty).
    /// </summary>
    /// <param name="dropEmptyRows">Whether rows this layer leaves empty may leave the live set for good.</param>
    public LayerStatistics Step(CpuLayerPlan plan, int layer, bool dropEmptyRows = true)
    {
        long start = Stopwatch.GetTimestamp();
        if (plan.Inputs != _width)
            throw new ArgumentException($"Layer {layer + 1} has {plan.Inputs} inputs, but the rows entering it have {_width}.");
        if (CpuLayerPlan.PaddedLength(plan.Outputs) > _padded)
            throw new ArgumentException($"Layer {layer + 1} has {plan.Outputs} outputs, more than the run was sized for.");
        _width = plan.Outputs;
        _dropEmptyRows = dropEmptyRows;
        int d = _live.DistinctRows;
        if (d == 0) return new LayerStatistics(layer + 1, 0, 0, Stopwatch.GetElapsedTime(start).TotalSeconds);

        bool check = _table is not null && (d <= AlwaysCheckRows || layer >= _nextCheckLayer);
        _hashOutputs = check;
        _plan = plan;
        _distinct = d;
        _output = _arenas[layer & 1];
        foreach (var arena in _output) arena.Count = 0;
        long nonZeros = 0;
        for (int r = 0; r < d; r++) nonZeros += _rows[r].Length;
        bool sparseRows = _options.Formulation switch
        {
            CpuFormulation.SparseInput => true,
            CpuFormulation.DenseTile => false,
            _ => nonZeros < _options.DenseTileMinDensity * d * plan.Inputs,
        };
        int tiles = (d + Width - 1) / Width;
        // One dense row (the late layers): a row kernel, vectorised over outputs, instead
        // of a tile with 15 lanes idle.
        // A weight that is not finite: every row on its own (ExactRows), as the reference computes it.
        _exactRows = !plan.WeightsFinite;
        _rowKernel = _kernels.HasRowKernel && _options.Formulation == CpuFormulation.Auto && d <= RowKernelMaxRows && !sparseRows && !_exactRows;
        // Little work: the calling thread alone, sparing the hand-off to the team, which costs
        // more than such a layer.
        double work = _rowKernel ? d * plan.NonZeros / 4.0 : (double)tiles * plan.NonZeros;
        bool alone = _threads == 1 || work < SmallLayerWeights;
        // Few dense tiles: all workers share each tile, split by output neurons (gather only).
        _parts = tiles >= 2 * _threads || alone || sparseRows || _exactRows
            ? 1
            : Math.Clamp((2 * _threads + tiles - 1) / tiles, 1, Math.Max(1, plan.Neurons / 256));
        _items = tiles * _parts;
        if (_parts > 1) _buffers.Split.Prepare(tiles, _parts);
        _nextItem = 0;
        if (alone) _work(0); else _team.Run(_work);
        if (_parts > 1) JoinParts();

        int newDistinct = Collapse(d, check, out int liveRows);
        if (check)
        {
            CheckedLayers++;
            int merged = liveRows - newDistinct;
            _checkInterval = merged * 64 >= liveRows && merged > 0 ? 1 : Math.Min(_checkInterval * 2, MaxCheckInterval);
            _nextCheckLayer = layer + _checkInterval;
        }
        _live.Remap(_remap.AsSpan(0, d), newDistinct);
        _input = _output;
        _plan = null;
        return new LayerStatistics(layer + 1, _dropEmptyRows ? _live.Count : NonEmptyImages(), check ? newDistinct : -1,
            Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Live images whose row is not empty (empty rows stay live where a later layer adds its bias always).</summary>
    private int NonEmptyImages()
    {
        int count = 0;
        foreach (int row in _live.RowOf)
            if (_rows[row].Length > 0) count++;
        return count;
    }

    /// <summary>Drops dead rows and, when checked, merges identical ones; compacts the distinct rows for the next layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Collapse(int d, bool check, out int liveRows)
    {
        if (check) _table!.Clear();
        var equality = new OutputRowEquality(_out, _output);
        int next = 0;
        liveRows = 0;
        for (int r = 0; r < d; r++)
        {
            var row = _out[r];
            if (row.Length == 0)
            {
                if (_dropEmptyRows)
                {
                    _remap[r] = -1;
                    continue;
                }
                // Kept for a later layer that adds its bias always; Publish hashes only rows with entries.
                if (check) _hashes[r] = EmptyRowHash;
            }
            liveRows++;
            int id = check ? _table!.FindOrAdd(_hashes[r], r, next, _firstRowOf, ref equality) : next;
            if (id == next)
            {
                _firstRowOf[next] = r;
                _rows[next++] = row;
            }
            _remap[r] = id;
        }
        return next;
    }

    private void Work(int worker)
    {
        var scratch = _scratch[worker];
        var arena = _output[worker];
        while (true)
        {
            int item = Interlocked.Increment(ref _nextItem) - 1;
            if (item >= _items) return;
            if (_parts == 1) ComputeTile(item, worker, arena, scratch);
            else GatherTilePart(item / _parts, item % _parts, scratch);
        }
    }

    /// <summary>One tile of up to 16 rows, by scatter over its nonzero inputs or by gather, whichever its input density calls for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeTile(int tile, int worker, SparseArena arena, WorkerScratch scratch)
    {
        int first = tile * Width, lanes = Math.Min(Width, _distinct - first);
        int* counts = scratch.Counts;
        new Span<int>(counts, Width).Clear();
        if (_exactRows)
        {
            scratch.ExactRowTiles++;
            ExactRows(first, lanes, scratch);
            Emit(first, lanes, worker, arena, scratch);
            return;
        }
        int inputs = Densify(first, lanes, scratch.Tile, scratch);
        if (_rowKernel)
        {
            scratch.RowTiles++;
            for (int l = 0; l < lanes; l++)
                Avx512Kernels.GatherRow(_plan!, l, 0, _plan!.Neurons, scratch.Tile, scratch.LaneIndex + l * _padded, scratch.LaneValue + l * _padded, counts + l);
        }
        else if (ScatterPays(inputs))
        {
            scratch.ScatterTiles++;
            _kernels.ScatterTile(_plan!, scratch.Inputs, inputs, scratch.Tile, scratch.Sums, scratch.LaneIndex, scratch.LaneValue, _padded, counts);
        }
        else
        {
            scratch.GatherTiles++;
            _kernels.GatherTile(_plan!, 0, _plan!.Neurons, scratch.Tile, scratch.LaneIndex, scratch.LaneValue, _padded, counts);
        }
        Clear(first, lanes, scratch.Tile);
        Emit(first, lanes, worker, arena, scratch);
    }

    /// <summary>Appends each lane's outputs (in the scratch's lane buffers) to the arena as its row, spread to their copies when the layer has them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Emit(int first, int lanes, int worker, SparseArena arena, WorkerScratch scratch)
    {
        int* counts = scratch.Counts;
        var copies = _plan!.Copies;
        for (int l = 0; l < lanes; l++)
        {
            int count = counts[l];
            if (copies is not null)
            {
                int marked = MarkCopies(copies, scratch.LaneIndex + l * _padded, scratch.LaneValue + l * _padded, count, scratch);
                Publish(first + l, worker, arena, WriteMarked(marked, arena, scratch));
                continue;
            }
            arena.EnsureRoom(count);
            new ReadOnlySpan<int>(scratch.LaneIndex + l * _padded, count).CopyTo(arena.Indices.AsSpan(arena.Count));
            new ReadOnlySpan<float>(scratch.LaneValue + l * _padded, count).CopyTo(arena.Values.AsSpan(arena.Count));
            Publish(first + l, worker, arena, count);
        }
    }

    /// <summary>
    /// Rows first .. first+lanes-1 one at a time, exactly as the reference engine computes them:
    /// products of each row's own entries only, in ascending input order, into a dense sum, then
    /// the layer's form. The tiles multiply every weight by inputs that are zero in some lane,
    /// which is exact only while weights are finite (∞·0 is NaN where the reference adds nothing);
    /// this path serves layers with a weight that is not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExactRows(int first, int lanes, WorkerScratch scratch)
    {
        var plan = _plan!;
        var w = plan.Rows;
        var form = plan.Form;
        int n = plan.Neurons;
        float* z = scratch.Sums;
        for (int l = 0; l < lanes; l++)
        {
            var row = _rows[first + l];
            var source = _input[row.Arena];
            var indices = source.Indices.AsSpan(row.Offset, row.Length);
            var values = source.Values.AsSpan(row.Offset, row.Length);
            for (int e = 0; e < indices.Length; e++)
            {
                float x = values[e];
                var columns = w.RowIndices(indices[e]);
                var weights = w.RowValues(indices[e]);
                for (int q = 0; q < columns.Length; q++) z[columns[q]] += x * weights[q];
            }
            int* outIndex = scratch.LaneIndex + l * _padded;
            float* outValue = scratch.LaneValue + l * _padded;
            int count = 0;
            for (int j = 0; j < n; j++)
            {
                float v = form.Apply(z[j], plan.Bias[j]);
                z[j] = 0f;
                if (v == 0f) continue;
                outIndex[count] = j;
                outValue[count++] = v;
            }
            scratch.Counts[l] = count;
        }
    }

    /// <summary>
    /// Spreads computed outputs (distinct outputs d and their values) to every layer output they
    /// stand for, in the scratch's dense buffer and bitmap; returns how many outputs that sets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MarkCopies(OutputCopies copies, int* index, float* value, int count, WorkerScratch scratch)
    {
        float* dense = scratch.Expanded;
        ulong* marks = scratch.ExpandMarks;
        int marked = 0;
        fixed (int* starts = copies.Starts, outputs = copies.Outputs)
        {
            for (int e = 0; e < count; e++)
            {
                int d = index[e];
                float v = value[e];
                int end = starts[d + 1];
                for (int p = starts[d]; p < end; p++)
                {
                    int j = outputs[p];
                    dense[j] = v;
                    marks[j >> 6] |= 1UL << j;
                }
                marked += end - starts[d];
            }
        }
        return marked;
    }

    /// <summary>Appends the marked outputs, ascending, to the arena and clears the bitmap; returns their count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int WriteMarked(int marked, SparseArena arena, WorkerScratch scratch)
    {
        arena.EnsureRoom(marked);
        float* dense = scratch.Expanded;
        ulong* marks = scratch.ExpandMarks;
        var indices = arena.Indices;
        var values = arena.Values;
        int at = arena.Count;
        for (int word = 0, words = _padded / 64 + 1; word < words; word++)
        {
            ulong bits = marks[word];
            if (bits == 0) continue;
            marks[word] = 0;
            while (bits != 0)
            {
                int j = word * 64 + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                indices[at] = j;
                values[at++] = dense[j];
            }
        }
        return marked;
    }

    /// <summary>Whether a tile whose rows have <paramref name="inputs"/> distinct nonzero inputs is cheaper scattered than gathered.</summary>
    private bool ScatterPays(int inputs) => _options.Formulation switch
    {
        CpuFormulation.SparseInput => true,
        CpuFormulation.DenseTile => false,
        _ => inputs < _options.DenseTileMinDensity * _plan!.Inputs,
    };

    /// <summary>A share of the output neurons of one tile (few live rows: all workers share each tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GatherTilePart(int tile, int part, WorkerScratch scratch)
    {
        var split = _buffers.Split;
        int first = tile * Width, lanes = Math.Min(Width, _distinct - first);
        int outputs = _plan!.Neurons;
        int j0 = SplitScratch.PartStart(outputs, _parts, part), j1 = SplitScratch.PartStart(outputs, _parts, part + 1);
        Densify(first, lanes, scratch.Tile, null);
        int* counts = split.Counts(tile, part);
        new Span<int>(counts, Width).Clear();
        long laneBase = (long)tile * Width * _padded + j0;
        if (_rowKernel)
        {
            scratch.RowTiles++;
            for (int l = 0; l < lanes; l++)
                Avx512Kernels.GatherRow(_plan!, l, j0, j1, scratch.Tile, split.Index + laneBase + l * _padded, split.Value + laneBase + l * _padded, counts + l);
        }
        else
        {
            scratch.GatherTiles++;
            _kernels.GatherTile(_plan!, j0, j1, scratch.Tile, split.Index + laneBase, split.Value + laneBase, _padded, counts);
        }
        Clear(first, lanes, scratch.Tile);
    }

    /// <summary>Concatenates the parts of each split tile's rows, in neuron order, into worker 0's arena.</summary>
    private void JoinParts()
    {
        var split = _buffers.Split;
        var arena = _output[0];
        var copies = _plan!.Copies;
        int outputs = _plan.Neurons;
        for (int first = 0, tile = 0; first < _distinct; first += Width, tile++)
        {
            int lanes = Math.Min(Width, _distinct - first);
            for (int l = 0; l < lanes; l++)
            {
                if (copies is not null)
                {
                    // The parts' computed outputs spread to the layer's outputs in any order: the bitmap sorts them.
                    int marked = 0;
                    for (int p = 0; p < _parts; p++)
                    {
                        long from = ((long)tile * Width + l) * _padded + SplitScratch.PartStart(outputs, _parts, p);
                        marked += MarkCopies(copies, split.Index + from, split.Value + from, split.Counts(tile, p)[l], _scratch[0]);
                    }
                    Publish(first + l, 0, arena, WriteMarked(marked, arena, _scratch[0]));
                    continue;
                }
                int total = 0;
                for (int p = 0; p < _parts; p++) total += split.Counts(tile, p)[l];
                arena.EnsureRoom(total);
                int at = arena.Count;
                for (int p = 0; p < _parts; p++)
                {
                    int count = split.Counts(tile, p)[l];
                    long from = ((long)tile * Width + l) * _padded + SplitScratch.PartStart(outputs, _parts, p);
                    new ReadOnlySpan<int>(split.Index + from, count).CopyTo(arena.Indices.AsSpan(at));
                    new ReadOnlySpan<float>(split.Value + from, count).CopyTo(arena.Values.AsSpan(at));
                    at += count;
                }
                Publish(first + l, 0, arena, total);
            }
        }
    }

    /// <summary>Records row <paramref name="r"/>'s output, just written at the arena's end, and hashes it when asked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Publish(int r, int worker, SparseArena arena, int count)
    {
        _out[r] = new RowRef(worker, arena.Count, count);
        if (_hashOutputs && count > 0)
            _hashes[r] = RowHash.Compute(arena.Indices.AsSpan(arena.Count, count), arena.Values.AsSpan(arena.Count, count));
        arena.Count += count;
    }

    /// <summary>
    /// Writes rows first .. first+lanes-1 into the zeroed tile, lane by lane. With
    /// <paramref name="union"/>, also lists the inputs nonzero in any lane, ascending, in its
    /// Inputs and returns their number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Densify(int first, int lanes, float* tile, WorkerScratch? union)
    {
        for (int l = 0; l < lanes; l++)
        {
            var row = _rows[first + l];
            var source = _input[row.Arena];
            var indices = source.Indices.AsSpan(row.Offset, row.Length);
            var values = source.Values.AsSpan(row.Offset, row.Length);
            for (int e = 0; e < indices.Length; e++) tile[indices[e] * Width + l] = values[e];
            if (union is null) continue;
            ulong* marks = union.Marks;
            foreach (int i in indices) marks[i >> 6] |= 1UL << i;
        }
        if (union is null) return 0;
        int count = 0;
        int* inputs = union.Inputs;
        for (int word = 0, words = _padded / 64 + 1; word < words; word++)
        {
            ulong bits = union.Marks[word];
            if (bits == 0) continue;
            union.Marks[word] = 0;
            while (bits != 0)
            {
                inputs[count++] = word * 64 + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Clear(int first, int lanes, float* tile)
    {
        for (int l = 0; l < lanes; l++)
        {
            var row = _rows[first + l];
            var indices = _input[row.Arena].Indices.AsSpan(row.Offset, row.Length);
            foreach (int i in indices) tile[i * Width + l] = 0f;
        }
    }

    /// <summary>The current row of live image <paramref name="live"/> (its index in <see cref="Live"/>).</summary>
    public void Row(int live, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values)
    {
        var row = _rows[_live.RowOf[live]];
        var source = _input[row.Arena];
        indices = source.Indices.AsSpan(row.Offset, row.Length);
        values = source.Values.AsSpan(row.Offset, row.Length);
    }

    /// <summary>The current rows of the live images (in <see cref="Live"/> order), empty ones included.</summary>
    public CsrMatrix FinalFeatures()
    {
        var images = _live.RowOf;
        var offsets = new int[images.Length + 1];
        for (int i = 0; i < images.Length; i++) offsets[i + 1] = offsets[i] + _rows[images[i]].Length;
        var columns = new int[offsets[^1]];
        var values = new float[offsets[^1]];
        for (int i = 0; i < images.Length; i++)
        {
            var row = _rows[images[i]];
            var source = _input[row.Arena];
            source.Indices.AsSpan(row.Offset, row.Length).CopyTo(columns.AsSpan(offsets[i]));
            source.Values.AsSpan(row.Offset, row.Length).CopyTo(values.AsSpan(offsets[i]));
        }
        return new CsrMatrix(images.Length, _width, offsets, columns, values);
    }

    /// <summary>
    /// Entries each worker's arena of <paramref name="parity"/> is made with for images of
    /// <paramref name="inputEntries"/> entries in all: room for the first two layers' outputs
    /// where the images are the network's inputs (challenge rows fan out about threefold in layer
    /// 1, then thin out), a quarter more than the rows where they were merged from batches later
    /// on (they hardly grow from there), and a few full rows per worker.
    /// </summary>
    public static int ArenaEntries(long inputEntries, int threads, int padded, int parity, bool fromFirstLayer)
    {
        long rows = fromFirstLayer ? (parity == 0 ? 3 : 2) * inputEntries : inputEntries + inputEntries / 4;
        return (int)Math.Min(Array.MaxLength, rows / threads + (long)padded * Width * 2);
    }

    /// <summary>Entries of the live images' rows, each image counted (identical rows stand for each of their images): what their rows take written out.</summary>
    public long LiveImageEntries
    {
        get
        {
            long entries = 0;
            foreach (int row in _live.RowOf) entries += _rows[row].Length;
            return entries;
        }
    }

    /// <summary>Nothing of its own to free: the arenas and scratch belong to the <see cref="CpuRunBuffers"/>.</summary>
    public void Dispose()
    {
    }

    /// <summary>Exact comparison of two output rows of the current layer.</summary>
    private readonly struct OutputRowEquality(RowRef[] rows, SparseArena[] arenas) : Engines.IRowEquality
    {
        public bool RowsEqual(int a, int b)
        {
            RowRef x = rows[a], y = rows[b];
            if (x.Length != y.Length) return false;
            SparseArena ax = arenas[x.Arena], ay = arenas[y.Arena];
            return ax.Indices.AsSpan(x.Offset, x.Length).SequenceEqual(ay.Indices.AsSpan(y.Offset, y.Length))
                && MemoryMarshal.Cast<float, int>(ax.Values.AsSpan(x.Offset, x.Length))
                    .SequenceEqual(MemoryMarshal.Cast<float, int>(ay.Values.AsSpan(y.Offset, y.Length)));
        }
    }

    /// <summary>A worker's private buffers: the scatter accumulator, a dense tile and its per-lane outputs (64-byte aligned).</summary>
    internal sealed class WorkerScratch : IDisposable
    {
        public WorkerScratch(int padded)
        {
            Tile = Allocate<float>((long)padded * Width);
            Sums = Allocate<float>((long)padded * Width);
            Inputs = Allocate<int>(padded);
            Marks = Allocate<ulong>(padded / 64 + 1);
            LaneIndex = Allocate<int>((long)padded * Width);
            LaneValue = Allocate<float>((long)padded * Width);
            Counts = Allocate<int>(Width);
            Expanded = Allocate<float>(padded);
            ExpandMarks = Allocate<ulong>(padded / 64 + 1);
        }

        /// <summary>One row's outputs spread to their copies (OutputCopies), and which are set (zero between rows).</summary>
        public float* Expanded { get; }
        public ulong* ExpandMarks { get; }

        /// <summary>The input tile: input i of lane l at [i·16 + l].</summary>
        public float* Tile { get; }

        /// <summary>Sums of the scatter, laid out like the tile; zero between tiles.</summary>
        public float* Sums { get; }

        /// <summary>The union of a tile's nonzero inputs, ascending, and the bitmap that builds it (zero between tiles).</summary>
        public int* Inputs { get; }
        public ulong* Marks { get; }

        /// <summary>Tiles computed by each formulation (only this worker writes them).</summary>
        public long ScatterTiles;
        public long GatherTiles;
        public long RowTiles;
        public long ExactRowTiles;
        public int* LaneIndex { get; }
        public float* LaneValue { get; }
        public int* Counts { get; }

        public void Dispose()
        {
            NativeMemory.AlignedFree(Tile);
            NativeMemory.AlignedFree(Sums);
            NativeMemory.AlignedFree(Inputs);
            NativeMemory.AlignedFree(Marks);
            NativeMemory.AlignedFree(LaneIndex);
            NativeMemory.AlignedFree(LaneValue);
            NativeMemory.AlignedFree(Counts);
            NativeMemory.AlignedFree(Expanded);
            NativeMemory.AlignedFree(ExpandMarks);
        }
    }

    /// <summary>
    /// Outputs of tiles split by output neurons: per tile and lane a row-long region, each part
    /// writing at its first neuron (parts start at multiples of 16, so the kernels' whole-vector
    /// stores stay inside the part).
    /// </summary>
    internal sealed class SplitScratch(int padded, int maxTiles, int maxParts) : IDisposable
    {
        private int _parts;

        public int* Index { get; } = Allocate<int>((long)maxTiles * Width * padded);
        public float* Value { get; } = Allocate<float>((long)maxTiles * Width * padded);
        private int* CountsBase { get; } = Allocate<int>((long)maxTiles * maxParts * Width);

        public void Prepare(int tiles, int parts)
        {
            if (tiles > maxTiles || parts > maxParts) throw new InvalidOperationException("Split tiles exceed their scratch.");
            _parts = parts;
        }

        public int* Counts(int tile, int part) => CountsBase + ((long)tile * _parts + part) * Width;

        public static int PartStart(int neurons, int parts, int part) =>
            part >= parts ? neurons : (int)((long)neurons * part / parts) / Width * Width;

        public void Dispose()
        {
            NativeMemory.AlignedFree(Index);
            NativeMemory.AlignedFree(Value);
            NativeMemory.AlignedFree(CountsBase);
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
