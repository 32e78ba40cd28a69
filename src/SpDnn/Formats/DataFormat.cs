using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>What a format can hold: the data kinds its reader or writer handles.</summary>
[Flags]
public enum FormatHolds
{
    /// <summary>Neither reads nor writes anything of that kind.</summary>
    None = 0,
    /// <summary>One layer's weights (a file of a layer folder).</summary>
    Layer = 1,
    /// <summary>A whole network: every layer, in one file or a folder of layer files.</summary>
    Network = 2,
    /// <summary>An image set: one sparse row of pixels per image.</summary>
    Images = 4,
    /// <summary>Truth categories: the numbers of the surviving images.</summary>
    Categories = 8,
}

/// <summary>
/// Recognises a format by a file's first bytes: as stored, and with gzip undone (the same bytes
/// when the file is not gzip). At least 512 bytes are given when the file has them.
/// </summary>
public delegate bool ContentSignature(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> decompressed);

/// <summary>
/// One row of <see cref="DataFormats"/>: a storage format, its names, how it is recognised,
/// what it can express and the functions that read and write it. A function left null means the
/// format cannot hold that kind of data; what it reads and writes is derived from them.
/// </summary>
public sealed record DataFormat
{
    /// <summary>The enum value the public API (convert, generate) names the format by.</summary>
    public required StorageFormat Id { get; init; }

    /// <summary>The name on the command line (<c>--to</c>, <c>--format</c>) and in messages.</summary>
    public required string Name { get; init; }

    /// <summary>Other names accepted on the command line.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>File name endings, lower case; the first is what writers name files. Output names are matched longest first.</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];

    /// <summary>One line for help and docs: what the format can express (values, biases, layer shapes...).</summary>
    public required string Expresses { get; init; }

    /// <summary>How the format is recognised by content; null for a format known by its name only (or text).</summary>
    public ContentSignature? Signature { get; init; }

    /// <summary>Plain text that no signature claims (TSV): what a file is when nothing else recognises it.</summary>
    public bool IsText { get; init; }

    /// <summary>A network is a folder of one file per layer (<c>n{N}-l{k}</c> + the first extension), written by <see cref="WriteLayer"/>.</summary>
    public bool NetworkIsFolder { get; init; }

    /// <summary>Holds general networks (layers of any shape, per-neuron biases, activations), not only the challenge's form.</summary>
    public bool HoldsGeneralNetworks { get; init; }

    /// <summary>(path, N) → one N x N layer.</summary>
    public Func<string, int, CsrMatrix>? ReadLayer { get; init; }

    /// <summary>(path, layers or all, bias or the format's default) → a network.</summary>
    public Func<string, int?, float?, ILayerSource>? OpenNetwork { get; init; }

    /// <summary>(path, N when known) → images.</summary>
    public Func<string, int?, ImageBatch>? ReadImages { get; init; }

    /// <summary>path → categories, ascending.</summary>
    public Func<string, int[]>? ReadCategories { get; init; }

    /// <summary>(weights, path, description for a comment) → one layer file.</summary>
    public Action<CsrMatrix, string, string>? WriteLayer { get; init; }

    /// <summary>(network, path, first L layers, progress in layers) → a network file.</summary>
    public Action<ILayerSource, string, int, IProgress<int>?>? WriteNetwork { get; init; }

    /// <summary>(images, path) → an image file.</summary>
    public Action<ImageBatch, string>? WriteImages { get; init; }

    /// <summary>(path, categories ascending) → a categories file.</summary>
    public Action<string, IReadOnlyList<int>>? WriteCategories { get; init; }

    /// <summary>For formats that hold one of several kinds (the binary format): what this file holds.</summary>
    public Func<string, FormatHolds>? ContentOf { get; init; }

    /// <summary>What the format's readers handle, derived from which read functions are set.</summary>
    public FormatHolds Reads =>
        (ReadLayer is null ? 0 : FormatHolds.Layer)
        | (OpenNetwork is not null || (NetworkIsFolder && ReadLayer is not null) ? FormatHolds.Network : 0)
        | (ReadImages is null ? 0 : FormatHolds.Images)
        | (ReadCategories is null ? 0 : FormatHolds.Categories);

    /// <summary>What the format's writers handle, derived from which write functions are set.</summary>
    public FormatHolds Writes =>
        (WriteLayer is null ? 0 : FormatHolds.Layer)
        | (WriteNetwork is not null || (NetworkIsFolder && WriteLayer is not null) ? FormatHolds.Network : 0)
        | (WriteImages is null ? 0 : FormatHolds.Images)
        | (WriteCategories is null ? 0 : FormatHolds.Categories);

    /// <summary>The command-line name, so a row prints as it is typed.</summary>
    public override string ToString() => Name;
}
