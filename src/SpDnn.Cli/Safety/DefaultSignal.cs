using System.Runtime.InteropServices;

namespace SpDnn.Cli.Safety;

/// <summary>Ends the process by a signal's default action (Linux), as if no handler had been installed.</summary>
internal static class DefaultSignal
{
    /// <summary>Restores <paramref name="signal"/>'s default action and raises it; exits with 128 + signal should it not end the process.</summary>
    public static void EndProcess(int signal)
    {
        _ = Signal(signal, IntPtr.Zero); // SIG_DFL
        _ = Kill(Environment.ProcessId, signal);
        // A blocked signal stays pending: end with the status a shell gives a death by the signal.
        Thread.Sleep(1000);
        ExitNow(128 + signal);
    }

    // glibc's soname: "libc" alone needs the development package.
    [DllImport("libc.so.6", EntryPoint = "signal")]
    private static extern IntPtr Signal(int signal, IntPtr handler);

    [DllImport("libc.so.6", EntryPoint = "kill")]
    private static extern int Kill(int processId, int signal);

    [DllImport("libc.so.6", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);
}
