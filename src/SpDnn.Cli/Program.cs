using System.CommandLine;
using SpDnn.Cli;
using SpDnn.Cli.Commands;

var root = new RootCommand("spdnn: exact sparse deep neural network inference (Sparse DNN Graph Challenge)");
foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
return CliRunner.Invoke(root, args);
