using System.CommandLine;

namespace SpDnn.Cli;

/// <summary>Runs the command line and maps failures to exit codes: bad data 2, other errors 3.</summary>
public static class CliRunner
{
    public const int ExitOk = 0;
    public const int ExitFailedCheck = 1;
    public const int ExitBadInput = 2;
    public const int ExitError = 3;

    public static int Invoke(RootCommand root, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        var err = error ?? Console.Error;
        // Usage mistakes (unknown option, missing value) are bad input too: one line each, exit 2.
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) err.WriteLine($"error: {e.Message}");
            err.WriteLine("(spdnn --help lists the commands and options)");
            return ExitBadInput;
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (SpDnnDataException e)
        {
            err.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            err.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
        catch (OperationCanceledException)
        {
            err.WriteLine("error: cancelled");
            return ExitError;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or IOException)
        {
            err.WriteLine($"error: {e.Message}");
            return ExitError;
        }
    }
}
