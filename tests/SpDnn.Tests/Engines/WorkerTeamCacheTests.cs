using SpDnn.Engines.Cpu;

namespace SpDnn.Tests.Engines;

public sealed class WorkerTeamCacheTests
{
    [Fact]
    public void ARunTakesTheTeamTheLastRunGaveBackWhenTheThreadCountMatches()
    {
        using var cache = new WorkerTeamCache();
        WorkerTeam first, second;
        using (var lease = cache.Take(3)) first = lease.Team;
        using (var lease = cache.Take(3))
        {
            Assert.Same(first, lease.Team);
            AssertEveryWorkerRuns(lease.Team);
        }
        using (var lease = cache.Take(2))
        {
            second = lease.Team;
            Assert.NotSame(first, second);
            Assert.Equal(2, second.Threads);
            AssertEveryWorkerRuns(second);
        }
        // A one-thread run (no helpers) leaves the kept team alone.
        using (var lease = cache.Take(1)) AssertEveryWorkerRuns(lease.Team);
        using (var lease = cache.Take(2)) Assert.Same(second, lease.Team);
        // The two-thread team is kept now: a three-thread run makes a new team again.
        using (var lease = cache.Take(3)) Assert.NotSame(first, lease.Team);
    }

    [Fact]
    public void RunsAtTheSameTimeGetTeamsOfTheirOwn()
    {
        using var cache = new WorkerTeamCache();
        using var a = cache.Take(2);
        using var b = cache.Take(2);
        Assert.NotSame(a.Team, b.Team);
    }

    [Fact]
    public void AKeptTeamRunsAgainAfterAJobThatFailed()
    {
        using var cache = new WorkerTeamCache();
        using (var lease = cache.Take(4))
            Assert.Throws<InvalidOperationException>(() => lease.Team.Run(w => { if (w == 2) throw new InvalidOperationException("worker 2"); }));
        using (var lease = cache.Take(4)) AssertEveryWorkerRuns(lease.Team);
    }

    private static void AssertEveryWorkerRuns(WorkerTeam team)
    {
        for (int round = 0; round < 3; round++)
        {
            var ran = new int[team.Threads];
            team.Run(w => Interlocked.Increment(ref ran[w]));
            Assert.All(ran, r => Assert.Equal(1, r));
        }
    }
}
