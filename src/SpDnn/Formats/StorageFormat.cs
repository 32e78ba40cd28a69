namespace SpDnn.Formats;

/// <summary>
/// The storage formats by name, for the public API (<see cref="NetworkWriter"/>, <see cref="ImageWriter"/>,
/// the generators). What each one is, reads and writes: its row in <see cref="DataFormats"/>.
/// </summary>
public enum StorageFormat
{
    /// <summary>The challenge's text layout: one <c>row col value</c> triple per line, 1-based; a network is a folder of layer files.</summary>
    Tsv,
    /// <see cref="Tsv"/> compressed with gzip.
    TsvGz,
    /// <summary>Matrix Market coordinate files; a network is a folder of layer files.</summary>
    Mtx,
    /// <summary>A gzipped tar of TSV layer files, as the challenge distributes its networks.</summary>
    TarGz,
    /// <summary>SpDnn's memory-mapped, checksummed format (docs/binary-format.md): the fastest to load, and holds general networks.</summary>
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
