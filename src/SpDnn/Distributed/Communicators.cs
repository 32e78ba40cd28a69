using SpDnn.Distributed.Mpi;

namespace SpDnn.Distributed;

/// <summary>Chooses the communicator from how the process was started.</summary>
public static class Communicators
{
    /// <summary>
    /// One rank when no launcher started the process (MPI is not even loaded); MPI when a
    /// launcher of the MPICH family did. Open MPI's launcher, no loadable MPICH-ABI library, or a
    /// library that does not see the launcher's ranks give one <see cref="MpiException"/>
    /// explaining what to do, never a crash.
    /// </summary>
    public static ICommunicator Create() => Create(MpiLaunch.FromEnvironment());

    public static ICommunicator Create(MpiLaunch launch)
    {
        switch (launch.Launcher)
        {
            case MpiLauncher.None:
                return new SingleProcessCommunicator();
            case MpiLauncher.OpenMpi:
                throw new MpiException("this process was started by Open MPI's mpirun (OMPI_COMM_WORLD_RANK is set), whose ABI SpDnn " +
                    "does not support; run it with the mpiexec of an MPICH-ABI MPI (MPICH, Intel MPI, Cray MPICH, MVAPICH).");
            default:
                var mpi = MpiLibrary.Load(Environment.GetEnvironmentVariable(MpiLibrary.OverrideVariable));
                var communicator = MpiCommunicator.Initialize(mpi);
                if (launch.Size > 1 && communicator.Size != launch.Size)
                {
                    int seen = communicator.Size;
                    communicator.Dispose();
                    throw new MpiException($"the launcher started {launch.Size} ranks but {mpi.Name} sees {seen}: " +
                        "the mpiexec and the MPI library come from different installations.");
                }
                return communicator;
        }
    }
}
