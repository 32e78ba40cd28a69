namespace SpDnn.Cli;

/// <summary>Writes files through a temporary sibling and a rename, so no partial file is ever left.</summary>
public static class AtomicFile
{
    public static string WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));

    public static string Write(string path, Action<string> writeTemporary)
    {
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp{Path.GetExtension(full)}");
        try
        {
            writeTemporary(temporary);
            File.Move(temporary, full, overwrite: true);
            return full;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
