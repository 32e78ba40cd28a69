namespace SpDnn.Formats;

/// <summary>The row of <see cref="DataFormats"/> for networks in a tar archive (gzip or not), like the official download.</summary>
internal static class TarFormat
{
    public static DataFormat Row { get; } = new()
    {
        Id = StorageFormat.TarGz,
        Name = "tar.gz",
        Aliases = ["tgz"],
        Extensions = [".tar.gz", ".tgz"],
        Expresses = "a network as the official download: neuron{N}/n{N}-l{k}.tsv (or .mtx) entries, square challenge layers without bias",
        // The ustar magic of the first entry's header (plain .tar files are read too).
        Signature = (_, decompressed) => decompressed.Length >= 262 && decompressed.Slice(257, 5).SequenceEqual("ustar"u8),
        OpenNetwork = (path, layers, bias) => new TarNetworkSource(path, layers, bias),
        WriteNetwork = TarNetworkWriter.Write,
    };
}
