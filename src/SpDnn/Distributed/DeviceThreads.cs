using System.Runtime.ExceptionServices;

namespace SpDnn.Distributed;

/// <summary>
/// Runs one piece of work per device, each on its own thread, and waits for all. Dedicated
/// threads rather than the thread pool: a GPU engine blocks its thread while kernels run, and
/// every device must start at once for "time = the slowest device" to hold.
/// </summary>
internal static class DeviceThreads
{
    public static T[] Run<T>(int devices, Func<int, T> work)
    {
        var results = new T[devices];
        var failures = new ExceptionDispatchInfo?[devices];
        if (devices == 1)
        {
            results[0] = work(0);
            return results;
        }
        var threads = new Thread[devices];
        for (int d = 0; d < devices; d++)
        {
            int device = d;
            threads[d] = new Thread(() =>
            {
                try { results[device] = work(device); }
                catch (Exception e) { failures[device] = ExceptionDispatchInfo.Capture(e); }
            })
            { IsBackground = true, Name = $"spdnn-device-{device}" };
            threads[d].Start();
        }
        foreach (var t in threads) t.Join();
        // The lowest failing device's exception, with its own type and stack (bad data stays bad data).
        foreach (var f in failures) f?.Throw();
        return results;
    }
}
