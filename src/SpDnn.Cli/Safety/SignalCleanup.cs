using System.Runtime.InteropServices;
using SpDnn.Formats;

namespace SpDnn.Cli.Safety;

/// <summary>
/// On SIGINT, SIGTERM, SIGHUP or SIGQUIT, removes the temporaries of the outputs being written
/// (a generate interrupted after 300 MB left them behind) and lets the signal end the process
/// as it would have: targets are never half-written either way.
/// </summary>
public static class SignalCleanup
{
    /// <summary>Handles the signals until the result is disposed (the end of Main).</summary>
    public static IDisposable Register(TextWriter error)
    {
        var registrations = new List<PosixSignalRegistration>();
        // Each with its Linux number (PosixSignal's values are .NET's own, not the numbers).
        foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
        {
            try
            {
                registrations.Add(PosixSignalRegistration.Create(signal, context => OnSignal(context, number, error)));
            }
            catch (PlatformNotSupportedException)
            {
                // Not every signal exists everywhere (Windows has no SIGHUP handler); the others still clean up.
            }
        }
        return new Registrations(registrations);
    }

    private static volatile bool _ending;

    /// <summary>
    /// Whether a signal's handler is ending the process (Linux): a command failing on its removed
    /// output then waits for that end rather than report the failure or exit with a code of its own.
    /// </summary>
    public static bool Ending => _ending;

    private static void OnSignal(PosixSignalContext context, int number, TextWriter error)
    {
        if (OperatingSystem.IsLinux()) _ending = true;
        int removed = TemporaryFiles.RemoveAll();
        error.WriteLine($"error: stopped by {context.Signal}{(removed > 0 ? $"; {removed} unfinished output{(removed == 1 ? "" : "s")} removed" : "")}");
        error.Flush();
        if (!OperatingSystem.IsLinux()) return; // context.Cancel stays false: the signal ends the process as usual.
        // Not cancelled, SIGTERM starts the runtime's graceful shutdown while the writers go on and
        // fail on their removed temporaries: a run so stopped once ended with SIGABRT in CI (exit
        // 134, not 143). The signal's default action ends the process at once, as without handlers.
        context.Cancel = true;
        DefaultSignal.EndProcess(number);
    }

    private sealed class Registrations(List<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
