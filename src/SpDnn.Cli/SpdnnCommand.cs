using System.CommandLine;
using System.CommandLine.Help;
using SpDnn.Cli.Commands;

namespace SpDnn.Cli;

/// <summary>
/// The root command, named <c>spdnn</c> whatever the process is called: System.CommandLine's
/// RootCommand takes its name from the entry assembly (SpDnn.Cli.dll under <c>dotnet tool</c>).
/// </summary>
public static class SpdnnCommand
{
    public const string Name = "spdnn";

    public static Command Create()
    {
        var root = new Command(Name, "spdnn: exact sparse deep neural network inference (Sparse DNN Graph Challenge)")
        {
            new HelpOption(),
            new VersionOption(),
        };
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        return root;
    }
}
