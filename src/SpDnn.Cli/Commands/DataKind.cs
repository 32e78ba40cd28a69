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
    /// <summary>Folders, tar archives and binary networks are networks; other files are images.</summary>
    public static DataKind Detect(string path)
    {
        if (Directory.Exists(path)) return DataKind.Network;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (new FileInfo(path).Length == 0) throw new SpDnnDataException(path, "empty file");
        if (SpDnn.Formats.Models.ModelFiles.IsModel(path)) return DataKind.Network;
        return InputFile.Detect(path) switch
        {
            FileContent.Tar => DataKind.Network,
            FileContent.Binary => BinaryKindOf(path) == BinaryKind.Network ? DataKind.Network : DataKind.Images,
            _ => DataKind.Images,
        };
    }

    private static BinaryKind BinaryKindOf(string path)
    {
        using var file = new BinaryFileReader(path);
        return file.Header.Kind;
    }
}
