using System.CommandLine;
using SpDnn.Distributed;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn mpi-check</c>: tests the MPI installation (run it under mpiexec) with every collective SpDnn uses.</summary>
public static class MpiCheckCommand
{
    public static Command Create()
    {
        var command = new Command("mpi-check",
            "Check that MPI works with spdnn: run under `mpiexec -n P`; without mpiexec it checks the single-process path.");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var communicator = Communicators.Create();
            var problems = CollectiveSelfCheck.Run(communicator);
            var locals = communicator.AllGather(communicator.LocalRank);
            FailureAgreement.ThrowIfAnyFailed(communicator, problems.Count == 0 ? null : string.Join("; ", problems));
            if (communicator.Rank == 0)
            {
                output.WriteLine($"{communicator.Description}");
                output.WriteLine($"MPI check passed: {communicator.Size} rank(s), local ranks [{string.Join(", ", locals)}]");
            }
            return CliRunner.ExitOk;
        });
        return command;
    }
}
