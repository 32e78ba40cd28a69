namespace SpDnn.Engines.Cpu;

/// <summary>
/// Keeps the last run's <see cref="WorkerTeam"/> for the next one, so a run does not start its
/// helper threads again. Starting 15 threads and waiting until each reaches its first barrier was
/// part of every run's timed work (and ~7 ms of CPU time per run on the 2-core machine at 16
/// threads), where a run of the shipped 784-300-100-10 model on 16 cores has 2-4 ms of work. One
/// idle team at most is kept (its helpers block, using no CPU); runs at the same time, or with
/// another thread count, make their own, and the team kept before is stopped.
/// </summary>
internal sealed class WorkerTeamCache : IDisposable
{
    /// <summary>The engine's cache, one per process.</summary>
    public static WorkerTeamCache Shared { get; } = new();

    private WorkerTeam? _idle;

    /// <summary>A team of <paramref name="threads"/> threads for one run, given back when the lease is disposed.</summary>
    public Lease Take(int threads) => new(this, Rent(threads));

    /// <summary>The idle team when it has <paramref name="threads"/> threads, else a new one.</summary>
    public WorkerTeam Rent(int threads)
    {
        // One thread needs no helpers, and the idle team stays for the next run of many.
        if (threads <= 1) return new WorkerTeam(1);
        var team = Interlocked.Exchange(ref _idle, null);
        if (team is not null && team.Threads == Math.Max(1, threads)) return team;
        team?.Dispose();
        return new WorkerTeam(threads);
    }

    /// <summary>Keeps <paramref name="team"/> for the next run (a team of one thread has nothing to keep).</summary>
    public void Return(WorkerTeam team)
    {
        if (team.Threads == 1)
        {
            team.Dispose();
            return;
        }
        Interlocked.Exchange(ref _idle, team)?.Dispose();
    }

    /// <summary>Stops the idle team (the shared cache is never disposed: its helpers are background threads).</summary>
    public void Dispose() => Interlocked.Exchange(ref _idle, null)?.Dispose();

    /// <summary>A team held for one run; disposing gives it back.</summary>
    public readonly struct Lease(WorkerTeamCache cache, WorkerTeam team) : IDisposable
    {
        public WorkerTeam Team { get; } = team;

        public void Dispose() => cache.Return(Team);
    }
}
