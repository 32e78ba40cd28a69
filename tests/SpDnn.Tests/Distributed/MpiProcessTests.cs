namespace SpDnn.Tests.Distributed;

/// <summary>The MPI binding in real processes: under MPICH's mpiexec, and in the environments it must refuse cleanly.</summary>
public sealed class MpiProcessTests
{
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryCollectiveWorksUnderMpiexec(int ranks)
    {
        Skip.If(CliProcess.Mpiexec is null, CliProcess.SkipReasonWithoutMpiexec);
        var run = CliProcess.Run(["mpi-check"], mpiRanks: ranks);
        Assert.True(run.ExitCode == 0, run.ToString());
        // Only rank 0 prints.
        Assert.Single(run.Output.Split('\n'), line => line.StartsWith("MPI check passed", StringComparison.Ordinal));
        Assert.Contains($"MPI check passed: {ranks} rank(s), local ranks [{string.Join(", ", Enumerable.Range(0, ranks))}]", run.Output);
        Assert.Contains("MPI (", run.Output);
    }

    [Fact]
    public void WithoutALauncherItRunsAsOneRankWithoutMpi()
    {
        var run = CliProcess.Run(["mpi-check"], new Dictionary<string, string> { ["SPDNN_MPI_LIBRARY"] = "/nonexistent/libmpi.so.12" });
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("single process", run.Output);
    }

    [Fact]
    public void OpenMpiLaunchGivesOneClearError()
    {
        var run = CliProcess.Run(["mpi-check"], new Dictionary<string, string> { ["OMPI_COMM_WORLD_RANK"] = "0", ["OMPI_COMM_WORLD_SIZE"] = "2" });
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("error: this process was started by Open MPI's mpirun", run.Error);
        Assert.DoesNotContain("Unhandled exception", run.Error);
    }

    [Theory]
    [InlineData("libspdnn-no-such-mpi.so.12", "no MPI library of the MPICH ABI could be loaded (tried libspdnn-no-such-mpi.so.12)")]
    [InlineData("libm.so.6", "libm.so.6 has no MPI_Initialized: not an MPI library of the MPICH ABI")]
    public void ALauncherWithoutAUsableLibraryGivesOneClearError(string library, string message)
    {
        var run = CliProcess.Run(["mpi-check"], new Dictionary<string, string> { ["PMI_RANK"] = "0", ["PMI_SIZE"] = "1", ["SPDNN_MPI_LIBRARY"] = library });
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains($"error: {message}", run.Error);
        Assert.DoesNotContain("Unhandled exception", run.Error);
    }
}
