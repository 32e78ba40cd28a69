using SpDnn.Distributed.Mpi;

namespace SpDnn.Tests.Distributed;

public sealed class MpiLaunchTests
{
    [Fact]
    public void ClassifiesLaunchersFromTheirVariables()
    {
        Assert.Equal(new MpiLaunch(MpiLauncher.None, 0, 1), MpiLaunch.FromVariables(new Dictionary<string, string> { ["PATH"] = "/bin" }));
        Assert.Equal(new MpiLaunch(MpiLauncher.Pmi, 2, 4), MpiLaunch.FromVariables(new Dictionary<string, string> { ["PMI_RANK"] = "2", ["PMI_SIZE"] = "4" }));
        Assert.Equal(new MpiLaunch(MpiLauncher.Pmi, 0, 1), MpiLaunch.FromVariables(new Dictionary<string, string> { ["MPI_LOCALRANKID"] = "0" }));
        Assert.Equal(new MpiLaunch(MpiLauncher.Pmi, 5, 1), MpiLaunch.FromVariables(new Dictionary<string, string> { ["PMIX_RANK"] = "5" }));
        // Open MPI wins even where it also sets PMIx variables.
        var openMpiAndPmix = new Dictionary<string, string> { ["PMIX_RANK"] = "1", ["OMPI_COMM_WORLD_RANK"] = "1", ["OMPI_COMM_WORLD_SIZE"] = "3" };
        Assert.Equal(new MpiLaunch(MpiLauncher.OpenMpi, 1, 3), MpiLaunch.FromVariables(openMpiAndPmix));
        Assert.False(MpiLaunch.FromVariables(new Dictionary<string, string>()).IsMultiProcess);
    }

    [Fact]
    public void TheLaunchersOwnLibraryFamilyIsTriedFirst()
    {
        Assert.Equal("libmpi.so.40", MpiLibrary.CandidateNames(MpiLauncher.OpenMpi)[0]);
        Assert.Equal("libmpi.so.12", MpiLibrary.CandidateNames(MpiLauncher.Pmi)[0]);
        Assert.Equal(MpiLibrary.CandidateNames(MpiLauncher.Pmi).Order(), MpiLibrary.CandidateNames(MpiLauncher.OpenMpi).Order());
        Assert.Equal(0x44000000, MpiAbi.Mpich.CommWorld);
    }
}
