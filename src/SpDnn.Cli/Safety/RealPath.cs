namespace SpDnn.Cli.Safety;

/// <summary>
/// A path with every symbolic link in it resolved (the file itself and the folders above it),
/// so two spellings of one file compare equal. Parts that do not exist yet are kept as written.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40; // as the kernel's ELOOP limit

    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Parts(full[root.Length..]).Reverse());
        string current = root;
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"{path}: too many levels of symbolic links");
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
            string relative = Path.IsPathRooted(target) ? target[Path.GetPathRoot(target)!.Length..] : target;
            foreach (var p in Parts(relative).Reverse()) pending.Push(p);
        }
        return current;
    }

    private static string[] Parts(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
