using SpDnn.Cli;

namespace SpDnn.Tests.Cli;

/// <summary>Runs spdnn in-process with the root command Program.cs runs.</summary>
public static class CliHost
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    public static Outcome Run(params string[] args)
    {
        var root = SpdnnCommand.Create();
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliRunner.Invoke(root, args, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }
}
