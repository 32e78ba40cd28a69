using SpDnn.Cli;
using SpDnn.Cli.Safety;

// Open MPI hands each rank's stdout a pseudo-terminal, so .NET would write the terminal's keypad-mode
// escape into output that ends in a file or a pipe (--json included). Ranks are never interactive.
if (Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") is not null) Environment.SetEnvironmentVariable("TERM", "dumb");

// SIGINT/SIGTERM/SIGHUP/SIGQUIT remove the temporaries of outputs being written (issue 16).
using var signals = SignalCleanup.Register(Console.Error);
return CliRunner.Invoke(SpdnnCommand.Create(), args);
