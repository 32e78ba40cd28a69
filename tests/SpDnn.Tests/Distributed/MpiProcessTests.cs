namespace SpDnn.Tests.Distributed;

/// <summary>The MPI binding in real processes: under MPICH's and Open MPI's mpiexec, and in the environments it must refuse cleanly.</summary>
public sealed class MpiProcessTests
{
    [SkippableTheory]
    [InlineData(MpiFlavour.Mpich, 1)]
    [InlineData(MpiFlavour.Mpich, 2)]
    [InlineData(MpiFlavour.Mpich, 3)]
    [InlineData(MpiFlavour.OpenMpi, 1)]
    [InlineData(MpiFlavour.OpenMpi, 2)]
    [InlineData(MpiFlavour.OpenMpi, 3)]
    public void EveryCollectiveWorksUnderMpiexec(MpiFlavour flavour, int ranks)
    {
        Skip.If(CliProcess.Launcher(flavour) is null, CliProcess.SkipReason(flavour));
        var run = CliProcess.Run(["mpi-check"], mpiRanks: ranks, flavour: flavour);
        Assert.True(run.ExitCode == 0, run.ToString());
        // Only rank 0 prints.
        Assert.Single(run.Output.Split('\n'), line => line.StartsWith("MPI check passed", StringComparison.Ordinal));
        Assert.Contains($"MPI check passed: {ranks} rank(s), local ranks [{string.Join(", ", Enumerable.Range(0, ranks))}]", run.Output);
        Assert.Contains(flavour == MpiFlavour.OpenMpi ? "Open MPI ABI" : "MPICH ABI", run.Output);
    }

    [Fact]
    public void WithoutALauncherItRunsAsOneRankWithoutMpi()
    {
        var run = CliProcess.Run(["mpi-check"], new Dictionary<string, string> { ["SPDNN_MPI_LIBRARY"] = "/nonexistent/libmpi.so.12" });
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("single process", run.Output);
    }

    [Theory]
    [InlineData("PMI_RANK", "libspdnn-no-such-mpi.so.12", "no MPI library could be loaded (tried libspdnn-no-such-mpi.so.12)")]
    [InlineData("PMI_RANK", "libm.so.6", "libm.so.6 has no MPI_Initialized: not an MPI library")]
    [InlineData("OMPI_COMM_WORLD_RANK", "libspdnn-no-such-mpi.so.40", "no MPI library could be loaded (tried libspdnn-no-such-mpi.so.40)")]
    public void ALauncherWithoutAUsableLibraryGivesOneClearError(string rankVariable, string library, string message)
    {
        var run = CliProcess.Run(["mpi-check"], new Dictionary<string, string> { [rankVariable] = "0", ["SPDNN_MPI_LIBRARY"] = library });
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains($"error: {message}", run.Error);
        Assert.DoesNotContain("Unhandled exception", run.Error);
    }
}
