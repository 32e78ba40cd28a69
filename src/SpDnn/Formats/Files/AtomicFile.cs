namespace SpDnn.Formats;

/// <summary>
/// Writes files and folders so that readers never see a partial result: everything goes to a
/// temporary name beside the target, which is renamed into place only after a complete write.
/// On failure the temporary is removed and the target is left as it was; on SIGINT/SIGTERM the
/// CLI removes it (<see cref="TemporaryFiles"/>), and one left by a killed process is removed by
/// the next write of the same target.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, replacing any existing file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        TemporaryFiles.RemoveStale(full);
        var temp = TemporaryFiles.NameFor(full);
        try
        {
            using (var stream = TemporaryFiles.Create(temp, folder: false, () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full) ?? ".");
                return new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            }))
            {
                write(stream);
                stream.Flush(flushToDisk: false);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            TemporaryFiles.Forget(temp);
        }
    }

    /// <summary>
    /// Creates the folder <paramref name="path"/> (which must not exist yet) from the files that
    /// <paramref name="fill"/> writes into the temporary folder it is given.
    /// </summary>
    public static void WriteFolder(string path, Action<string> fill)
    {
        var full = Path.GetFullPath(path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(full) || File.Exists(full))
            throw new IOException($"{path} already exists; remove it or choose another output.");
        TemporaryFiles.RemoveStale(full);
        var temp = TemporaryFiles.NameFor(full);
        try
        {
            TemporaryFiles.Create(temp, folder: true, () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full) ?? ".");
                return Directory.CreateDirectory(temp);
            });
            fill(temp);
            Directory.Move(temp, full);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        finally
        {
            TemporaryFiles.Forget(temp);
        }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
