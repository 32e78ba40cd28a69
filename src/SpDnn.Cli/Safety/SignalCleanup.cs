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
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            try
            {
                registrations.Add(PosixSignalRegistration.Create(signal, context => OnSignal(context, error)));
            }
            catch (PlatformNotSupportedException)
            {
                // Not every signal exists everywhere (Windows has no SIGHUP handler); the others still clean up.
            }
        }
        return new Registrations(registrations);
    }

    private static void OnSignal(PosixSignalContext context, TextWriter error)
    {
        int removed = TemporaryFiles.RemoveAll();
        error.WriteLine($"error: stopped by {context.Signal}{(removed > 0 ? $"; {removed} unfinished output{(removed == 1 ? "" : "s")} removed" : "")}");
        // context.Cancel stays false: the signal then ends the process as usual.
    }

    private sealed class Registrations(List<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
