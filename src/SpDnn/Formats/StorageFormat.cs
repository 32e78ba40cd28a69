namespace SpDnn.Formats;

/// <summary>Output formats. A network in Tsv/TsvGz/Mtx is a folder of layer files; TarGz is for networks only.</summary>
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
}

public static class StorageFormats
{
    /// <summary>Parses the names used on the command line: tsv, tsv.gz, mtx, tar.gz, bin.</summary>
    public static StorageFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "tsv" => StorageFormat.Tsv,
        "tsv.gz" or "gz" => StorageFormat.TsvGz,
        "mtx" => StorageFormat.Mtx,
        "tar.gz" or "tgz" => StorageFormat.TarGz,
        "bin" or "binary" => StorageFormat.Binary,
        "onnx" => StorageFormat.Onnx,
        "npz" => StorageFormat.Npz,
        _ => throw new SpDnnUsageException($"Unknown format \"{name}\" (tsv, tsv.gz, mtx, tar.gz, bin, onnx or npz)."),
    };

    public static string Name(StorageFormat format) => format switch
    {
        StorageFormat.Tsv => "tsv",
        StorageFormat.TsvGz => "tsv.gz",
        StorageFormat.Mtx => "mtx",
        StorageFormat.TarGz => "tar.gz",
        StorageFormat.Onnx => "onnx",
        StorageFormat.Npz => "npz",
        _ => "bin",
    };

    /// <summary>The format an output name implies, or null (a bare name: a folder of TSV layers for networks).</summary>
    public static StorageFormat? FromPath(string path)
    {
        var p = path.ToLowerInvariant();
        if (p.EndsWith(".tar.gz") || p.EndsWith(".tgz")) return StorageFormat.TarGz;
        if (p.EndsWith(".tsv.gz")) return StorageFormat.TsvGz;
        if (p.EndsWith(".tsv")) return StorageFormat.Tsv;
        if (p.EndsWith(".mtx") || p.EndsWith(".mtx.gz")) return StorageFormat.Mtx;
        if (p.EndsWith(".bin")) return StorageFormat.Binary;
        if (p.EndsWith(".onnx")) return StorageFormat.Onnx;
        if (p.EndsWith(".npz")) return StorageFormat.Npz;
        return null;
    }
}
