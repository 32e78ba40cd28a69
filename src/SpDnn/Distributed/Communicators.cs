using SpDnn.Distributed.Mpi;

namespace SpDnn.Distributed;

/// <summary>Chooses the communicator from how the process was started.</summary>
public static class Communicators
{
    /// <summary>
    /// One rank when no launcher started the process (MPI is not even loaded); MPI when a launcher
    /// did, bound to the library of the launcher's family (MPICH ABI or Open MPI) found at run time.
    /// No loadable library, or one that does not see the launcher's ranks (an mpiexec of another
    /// installation), give one <see cref="MpiException"/> explaining what to do, never a crash.
    /// </summary>
    public static ICommunicator Create() => Create(MpiLaunch.FromEnvironment());

    internal static ICommunicator Create(MpiLaunch launch)
    {
        switch (launch.Launcher)
        {
            case MpiLauncher.None:
                return new SingleProcessCommunicator();
            default:
                var mpi = MpiLibrary.Load(Environment.GetEnvironmentVariable(MpiLibrary.OverrideVariable), launch.Launcher);
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
