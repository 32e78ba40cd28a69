namespace SpDnn;

/// <summary>
/// Bad input data: names the file, the line (or byte offset) and what is wrong.
/// The CLI maps it to exit code 2 and prints <see cref="Exception.Message"/> alone.
/// </summary>
public sealed class SpDnnDataException : Exception
{
    /// <summary>The message reads <c>file:line: reason</c> (or <c>file: byte offset: reason</c>), the form the CLI prints.</summary>
    public SpDnnDataException(string file, string reason, long? line = null, long? byteOffset = null, Exception? inner = null)
        : base(Compose(file, reason, line, byteOffset), inner)
    {
        File = file;
        Reason = reason;
        Line = line;
        ByteOffset = byteOffset;
    }

    /// <summary>The file that is wrong, as the caller named it.</summary>
    public string File { get; }
    /// <summary>What is wrong, without the file and position.</summary>
    public string Reason { get; }
    /// <summary>1-based line number, when the format is line oriented.</summary>
    public long? Line { get; }
    /// <summary>0-based byte offset, for binary formats.</summary>
    public long? ByteOffset { get; }

    private static string Compose(string file, string reason, long? line, long? byteOffset)
    {
        if (line is { } l) return $"{file}:{l}: {reason}";
        if (byteOffset is { } b) return $"{file} (byte {b}): {reason}";
        return $"{file}: {reason}";
    }
}
