using SpDnn.Cli;
using SpDnn.Cli.Safety;

using var signals = SignalCleanup.Register(Console.Error);
return CliRunner.Invoke(SpdnnCommand.Create(), args);
