namespace SpDnn.Formats;

/// <summary>
/// The storage formats by name, for the public API (<see cref="NetworkWriter"/>, <see cref="ImageWriter"/>,
/// the generators). What each one is, reads and writes: its row in <see cref="DataFormats"/>.
/// </summary>
public enum StorageFormat
{
    Tsv,
    TsvGz,
    Mtx,
    TarGz,
    Binary,

    /// <summary>An ONNX model (networks with a class read-out only).</summary>
    Onnx,

    /// <summary>A NumPy .npz archive of SciPy sparse layers (networks only).</summary>
    Npz,

    /// <summary>MNIST IDX images (read only).</summary>
    Idx,
}

/// <summary>Format names as the command line spells them, from <see cref="DataFormats"/>.</summary>
internal static class StorageFormats
{
    /// <summary>Parses the names used on the command line (tsv, tsv.gz, mtx, tar.gz, bin, onnx, npz and their aliases).</summary>
    public static StorageFormat Parse(string name) => DataFormats.Parse(name).Id;

    public static string Name(StorageFormat format) => DataFormats.Of(format).Name;

    /// <summary>The format an output name implies, or null (a bare name: a folder of TSV layers for networks).</summary>
    public static StorageFormat? FromPath(string path) => DataFormats.FromPath(path)?.Id;
}
