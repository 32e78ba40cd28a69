using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>
/// An image file as a rank reads it. The binary format records the image count and row offsets,
/// so a rank maps the file and copies only its rows. Text formats (TSV, Matrix Market) have no
/// index and may list an image's pixels anywhere, so a rank parses the whole file and keeps its
/// slice.
/// </summary>
public sealed class ImageFileInput : IImageInput
{
    private readonly string _path;
    private readonly Func<int?> _neurons;
    private readonly Lazy<BinaryHeader?> _binary;

    /// <param name="path">The image file.</param>
    /// <param name="neurons">N of the network, when known by the time the images are read (checked against the file).</param>
    public ImageFileInput(string path, Func<int?> neurons)
    {
        _path = path;
        _neurons = neurons;
        // Looked at when first asked, inside the runner's failure-agreed reading step: a bad file must not fail one rank alone outside it.
        _binary = new Lazy<BinaryHeader?>(ReadBinaryHeader, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc/>
    public string Description => _path;
    /// <inheritdoc/>
    public bool ReadsOnlyItsSlice => _binary.Value is not null;
    /// <inheritdoc/>
    public int? KnownCount => _binary.Value?.Rows;

    /// <inheritdoc/>
    public ImageBatch ReadAll() => ImageLoader.Load(_path, _neurons());

    /// <inheritdoc/>
    public ImageBatch ReadRange(int start, int count)
    {
        if (_binary.Value is not { } header) return ReadAll().Slice(start, count);
        if (_neurons() is { } n && header.Columns != n)
            throw new SpDnnDataException(_path, $"wrong N: the images have {header.Columns} pixels, expected {n}");
        using var file = new BinaryFileReader(_path);
        return new ImageBatch(file.ReadRows(0, start, count), _path, header.FirstImageNumber + start);
    }

    private BinaryHeader? ReadBinaryHeader()
    {
        if (!File.Exists(_path) || new FileInfo(_path).Length == 0 || InputFile.Detect(_path) != FileContent.Binary) return null; // the loader reports those
        using var file = new BinaryFileReader(_path);
        if (file.Header.Kind != BinaryKind.Images)
            throw new SpDnnDataException(_path, $"holds a {file.Header.Kind.ToString().ToLowerInvariant()}, not images", byteOffset: 12);
        if (file.SectionCount != 1)
            throw new SpDnnDataException(_path, $"an image file has one section, this one {file.SectionCount}", byteOffset: 24);
        return file.Header;
    }
}
