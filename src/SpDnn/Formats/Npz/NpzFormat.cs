using SpDnn.Formats.Models;

namespace SpDnn.Formats.Npz;

/// <summary>The row of <see cref="DataFormats"/> for NumPy .npz archives of SciPy sparse layers (docs/model-formats.md).</summary>
internal static class NpzFormat
{
    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.Npz,
        Name = "npz",
        Extensions = [".npz"],
        Expresses = "a NumPy .npz archive: one scipy.sparse.save_npz matrix (CSR, CSC or COO), or the multi-layer layout with biases, "
            + "activations and read-out",
        // A zip archive (its local file header).
        Signature = (stored, _) => stored.StartsWith("PK\u0003\u0004"u8),
        HoldsGeneralNetworks = true,
        OpenNetwork = (path, layers, bias) => ModelFiles.Open(NpzNetworkReader.Read, path, layers, bias),
        WriteNetwork = (source, path, layers, progress) => ModelFiles.Write(NpzNetworkWriter.Write, source, path, layers, progress),
    };
}
