using SpDnn.Cli;

return CliRunner.Invoke(SpdnnCommand.Create(), args);
