namespace SpDnn.Engines.Cpu;

/// <summary>
/// A fixed team of threads (the caller plus <c>threads - 1</c> helpers) that run one job
/// together per call to <see cref="Run"/>. Unlike Parallel.For it allocates nothing per call and
/// costs a barrier round trip (microseconds), which matters for the many cheap late layers.
/// Helpers spin briefly, then block, between jobs.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    private readonly Thread[] _helpers;
    private readonly Barrier _start;
    private readonly Barrier _finish;
    private Action<int>? _job;
    private volatile bool _stopping;
    private Exception? _failure;

    public WorkerTeam(int threads)
    {
        Threads = Math.Max(1, threads);
        _start = new Barrier(Threads);
        _finish = new Barrier(Threads);
        _helpers = new Thread[Threads - 1];
        for (int w = 1; w < Threads; w++)
        {
            int worker = w;
            _helpers[w - 1] = new Thread(() => HelperLoop(worker)) { IsBackground = true, Name = $"spdnn-cpu-{worker}" };
            _helpers[w - 1].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs <paramref name="job"/>(worker) on every worker 0 .. Threads-1 and waits for all.</summary>
    public void Run(Action<int> job)
    {
        if (Threads == 1)
        {
            job(0);
            return;
        }
        _job = job;
        _failure = null;
        _start.SignalAndWait();
        Execute(0);
        _finish.SignalAndWait();
        _job = null;
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
    }

    private void Execute(int worker)
    {
        try
        {
            _job!(worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
    }

    private void HelperLoop(int worker)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping) return;
            Execute(worker);
            _finish.SignalAndWait();
        }
    }

    public void Dispose()
    {
        if (Threads > 1 && !_stopping)
        {
            _stopping = true;
            _start.SignalAndWait();
            foreach (var t in _helpers) t.Join();
        }
        _start.Dispose();
        _finish.Dispose();
    }
}
