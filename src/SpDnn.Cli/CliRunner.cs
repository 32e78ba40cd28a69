using System.CommandLine;

namespace SpDnn.Cli;

/// <summary>Runs the command line and maps failures to exit codes: bad data or usage 2, other errors 3.</summary>
public static class CliRunner
{
    public const int ExitOk = 0;
    public const int ExitFailedCheck = 1;
    public const int ExitBadInput = 2;
    public const int ExitError = 3;

    public static int Invoke(Command root, string[] args, TextWriter? output = null, TextWriter? error = null)
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
        catch (Exception) when (Safety.SignalCleanup.Ending)
        {
            // A signal's handler removed the outputs and is ending the process with the signal.
            Thread.Sleep(Timeout.Infinite);
            throw;
        }
        catch (Exception e) when (ExitCode(Unwrap(e)) is > 0 and var code)
        {
            var cause = Unwrap(e);
            err.WriteLine(cause switch
            {
                OperationCanceledException => "error: cancelled",
                OutOfMemoryException => $"error: out of memory ({cause.Message})",
                _ => $"error: {cause.Message}",
            });
            return code;
        }
    }

    /// <summary>Exit code for an exception that ended a command; −1 for bugs, which keep their stack trace.</summary>
    public static int ExitCode(Exception e) => e switch
    {
        SpDnnDataException or SpDnnUsageException or FileNotFoundException or DirectoryNotFoundException => ExitBadInput,
        OperationCanceledException => ExitError,
        ArgumentException or InvalidOperationException or NotSupportedException or IOException or UnauthorizedAccessException => ExitError,
        // Data too large for this machine (inputs are bounded by their own bytes, so this is a real size): one line, not a stack trace.
        OutOfMemoryException => ExitError,
        _ => -1,
    };

    /// <summary>Parallel loops wrap failures; report the data error among them if there is one, else the first.</summary>
    private static Exception Unwrap(Exception e)
    {
        if (e is not AggregateException aggregate) return e;
        var inner = aggregate.Flatten().InnerExceptions;
        return inner.FirstOrDefault(x => x is SpDnnDataException) ?? (inner.Count > 0 ? Unwrap(inner[0]) : e);
    }
}
