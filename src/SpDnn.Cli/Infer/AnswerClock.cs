using System.Diagnostics;

namespace SpDnn.Cli.Infer;

/// <summary>
/// The clock of <see cref="Reporting.TimeToAnswer"/> for one command: started when the command's
/// action begins, it also knows how long the process had been running by then (the runtime
/// starting and parsing), so its total runs from the start of the process.
/// </summary>
public sealed class AnswerClock
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public AnswerClock()
    {
        try
        {
            using var process = Process.GetCurrentProcess();
            StartupSeconds = Math.Max(0, (DateTime.Now - process.StartTime).TotalSeconds);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            StartupSeconds = 0; // the platform does not tell when the process started
        }
    }

    /// <summary>From the start of the process to the command's first step.</summary>
    public double StartupSeconds { get; }

    /// <summary>Since the command's first step.</summary>
    public double CommandSeconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>From the command's first step to <paramref name="timestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>), on any thread.</summary>
    public double CommandSecondsAt(long timestamp) => Stopwatch.GetElapsedTime(_started, timestamp).TotalSeconds;

    /// <summary>Since the start of the process.</summary>
    public double TotalSeconds => StartupSeconds + CommandSeconds;
}
