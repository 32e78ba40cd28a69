using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace SpDnn.Formats;

/// <summary>
/// The hidden temporaries <see cref="AtomicFile"/> writes beside a target, named
/// <c>.{target}.{process id}.{random}.tmp</c>: the live ones are listed so that a process ending
/// on a signal removes them (<see cref="RemoveAll"/>), and one killed outright (SIGKILL, a power
/// cut) leaves names that say whose they were, so the next write of the same target removes
/// those of processes no longer running. Readers never take them for data: their names start
/// with a dot and match no data file name.
/// </summary>
internal static class TemporaryFiles
{
    // Creating a temporary and removing them all exclude each other: once RemoveAll has run, no
    // writer can create one (not even the folder a nested write would make again).
    private static readonly object Gate = new();
    private static readonly ConcurrentDictionary<string, bool> Live = new();
    private static bool _ending;

    /// <summary>A fresh temporary name beside <paramref name="target"/> (a full path).</summary>
    internal static string NameFor(string target) =>
        Path.Combine(Path.GetDirectoryName(target) ?? ".", $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Lists the temporary <paramref name="path"/> (a file or a folder) and creates it through
    /// <paramref name="create"/>; refused once the process is ending.
    /// </summary>
    internal static T Create<T>(string path, bool folder, Func<T> create)
    {
        lock (Gate)
        {
            if (_ending) throw new OperationCanceledException("The process is ending; no new output is started.");
            Live[path] = folder;
            return create();
        }
    }

    internal static void Forget(string path) => Live.TryRemove(path, out _);

    /// <summary>
    /// Removes every temporary still being written and refuses new ones; for a signal handler
    /// (the writers may still be running: on Unix a file removed while open just disappears).
    /// Returns how many were removed.
    /// </summary>
    public static int RemoveAll()
    {
        lock (Gate)
        {
            _ending = true;
            int removed = 0;
            // Folders first: a file inside one goes with it.
            foreach (var (path, folder) in Live.OrderByDescending(l => l.Value))
                if (Delete(path, folder)) removed++;
            return removed;
        }
    }

    /// <summary>Removes the temporaries of <paramref name="target"/> left by processes that no longer run.</summary>
    internal static void RemoveStale(string target)
    {
        var directory = Path.GetDirectoryName(target);
        if (directory is null || !Directory.Exists(directory)) return;
        string prefix = $".{Path.GetFileName(target)}.";
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory, prefix + "*.tmp"))
            {
                var middle = Path.GetFileName(entry)[prefix.Length..^4];
                int dot = middle.IndexOf('.');
                if (dot <= 0 || !int.TryParse(middle.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int owner)) continue;
                if (owner == Environment.ProcessId || IsRunning(owner)) continue;
                Delete(entry, Directory.Exists(entry));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Stale temporaries are hidden and harmless; failing to remove them must not stop a write.
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Delete(string path, bool folder)
    {
        // A folder may still be filled while it is removed: try a few times.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (folder) Directory.Delete(path, recursive: true);
                else File.Delete(path);
                return true;
            }
            catch (DirectoryNotFoundException) { return false; }
            catch (IOException) when (folder) { }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }
        return false;
    }
}
