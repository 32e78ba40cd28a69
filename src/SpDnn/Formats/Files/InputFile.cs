namespace SpDnn.Formats;

/// <summary>What a file holds, judged by its first bytes (never by its name).</summary>
internal enum FileContent
{
    Text,
    MatrixMarket,
    Binary,
    Tar,
}

/// <summary>Opens input files, decompressing gzip transparently (recognised by the magic bytes 1f 8b).</summary>
internal static class InputFile
{
    public static bool IsGzip(string path)
    {
        Span<byte> head = stackalloc byte[2];
        using var file = OpenRaw(path, 4096);
        return file.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    /// <summary>The file's bytes, decompressed when it is gzip.</summary>
    public static Stream OpenRead(string path, int bufferSize = 1 << 20)
    {
        if (!File.Exists(path))
        {
            if (Directory.Exists(path)) throw new SpDnnDataException(path, "is a folder, expected a file");
            throw new FileNotFoundException($"{path}: no such file", path);
        }
        return IsGzip(path) ? new CheckedGzipStream(path, bufferSize) : OpenRaw(path, bufferSize);
    }

    /// <summary>The most coordinate entries the file can hold, from its length (see <see cref="SizeLimits"/>).</summary>
    public static long MaxEntries(string path) => SizeLimits.MaxEntries(new FileInfo(path).Length, IsGzip(path));

    /// <summary>Classifies a file by its first (decompressed) bytes, as <see cref="DataFormats.Detect"/> does (other formats count as text).</summary>
    public static FileContent Detect(string path) => DataFormats.Detect(path).Id switch
    {
        StorageFormat.Binary => FileContent.Binary,
        StorageFormat.Mtx => FileContent.MatrixMarket,
        StorageFormat.TarGz => FileContent.Tar,
        _ => FileContent.Text,
    };

    private static FileStream OpenRaw(string path, int bufferSize) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
}
