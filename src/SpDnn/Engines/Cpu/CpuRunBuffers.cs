namespace SpDnn.Engines.Cpu;

/// <summary>
/// The working memory of the <see cref="CpuRun"/>s of one <c>Execute</c>: per worker, the arenas
/// holding two layers' rows and the scratch, kept from one image batch to the next (and the
/// batch merged from them). Fresh memory costs a page fault per page on first touch (about 14 µs
/// a page on the 2-core development machine; 16 MB of it 50-130 ms), and the arenas of a large
/// batch take gigabytes: a new run per batch touched them all again, so sets of images split
/// into batches ran slower per image than sets that fit one batch.
/// </summary>
/// <param name="reserveEntries">Entries each arena is made with at least: room for every row of a
/// batch at its densest, reserved but touched only as used (untouched pages take no memory), so
/// that neither later batches nor the merged one grow an arena by copying it into fresh memory
/// (65536 x 1920's merged rows, nearly dense, grew them five times over).</param>
internal sealed class CpuRunBuffers(int threads, int padded, long reserveEntries = 0) : IDisposable
{
    private readonly SparseArena?[][] _arenas = [new SparseArena?[threads], new SparseArena?[threads]];
    private CpuRun.WorkerScratch[]? _scratch;
    private CpuRun.SplitScratch? _split;

    /// <summary>Workers the buffers are for.</summary>
    public int Threads => threads;

    /// <summary>Row width the scratch is sized for (the network's widest layer, padded to a tile).</summary>
    public int Padded => padded;

    /// <summary>
    /// Worker <paramref name="worker"/>'s arena for layers of parity <paramref name="parity"/>,
    /// empty: made with room for <paramref name="capacity"/> entries the first time, then kept as
    /// earlier batches left it (<see cref="SparseArena.Reuse"/>).
    /// </summary>
    public SparseArena Arena(int parity, int worker, int capacity)
    {
        ref var arena = ref _arenas[parity][worker];
        if (arena is null) arena = new SparseArena((int)Math.Min(Array.MaxLength, Math.Max(capacity, reserveEntries)));
        else arena.Reuse();
        return arena;
    }

    /// <summary>Each worker's scratch (zero between tiles, as every use leaves it).</summary>
    public CpuRun.WorkerScratch[] Scratch
    {
        get
        {
            if (_scratch is null)
            {
                _scratch = new CpuRun.WorkerScratch[threads];
                for (int w = 0; w < threads; w++) _scratch[w] = new CpuRun.WorkerScratch(padded);
            }
            return _scratch;
        }
    }

    /// <summary>The outputs of tiles split by output neurons (few live rows), made when first needed.</summary>
    public CpuRun.SplitScratch Split => _split ??= new CpuRun.SplitScratch(padded, 2 * threads, 2 * threads);

    /// <summary>Entries of the least-used arena's touched part (0 before any): what a merged batch's rows fit in without touching new memory.</summary>
    public long SmallestTouchedEntries
    {
        get
        {
            var made = _arenas.SelectMany(a => a).OfType<SparseArena>().ToList();
            return made.Count == 0 ? 0 : made.Min(a => (long)a.HighWater);
        }
    }

    /// <summary>Bytes the arenas hold (their arrays' lengths, reserved: untouched pages take no memory).</summary>
    public long ArenaBytes => _arenas.SelectMany(a => a).Sum(a => a is null ? 0L : (long)a.Indices.Length * (sizeof(int) + sizeof(float)));

    /// <summary>Bytes of the arenas written so far (their high-water marks): the rows' share of the run's memory.</summary>
    public long TouchedBytes => _arenas.SelectMany(a => a).Sum(a => a is null ? 0L : (long)a.HighWater * (sizeof(int) + sizeof(float)));

    public void Dispose()
    {
        if (_scratch is not null)
            foreach (var s in _scratch) s.Dispose();
        _split?.Dispose();
    }
}
