using SpDnn.Formats;

namespace SpDnn.Cli.Commands;

/// <summary>Whether a path holds a network or images, for commands that take either.</summary>
public enum DataKind
{
    Auto,
    Network,
    Images,
}

public static class DataKinds
{
    /// <summary>Folders and files of a format that holds only networks (tar, models) are networks; a binary file says
    /// which it holds; other files are images.</summary>
    public static DataKind Detect(string path)
    {
        if (Directory.Exists(path)) return DataKind.Network;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (new FileInfo(path).Length == 0) throw new SpDnnDataException(path, "empty file");
        var format = DataFormats.Detect(path);
        var holds = format.ContentOf?.Invoke(path) ?? format.Reads;
        return (holds & FormatHolds.Network) != 0 && (holds & FormatHolds.Images) == 0 ? DataKind.Network : DataKind.Images;
    }
}
