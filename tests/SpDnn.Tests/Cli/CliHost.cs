using System.CommandLine;
using SpDnn.Cli;
using SpDnn.Cli.Commands;

namespace SpDnn.Tests.Cli;

/// <summary>Runs spdnn in-process with a root command built like Program.cs.</summary>
public static class CliHost
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    public static Outcome Run(params string[] args)
    {
        var root = new RootCommand("spdnn");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliRunner.Invoke(root, args, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }
}
