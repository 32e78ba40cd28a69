using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Reads one layer in the official TSV layout (<c>row\tcol\tvalue</c>, 1-based, any order,
/// gzip transparently) into an N x N CSR matrix. Spaces are accepted as separators too.
/// </summary>
public static class TsvLayerReader
{
    /// <param name="path">The layer file (.tsv or gzip).</param>
    /// <param name="neurons">N: every index must lie in 1..N.</param>
    public static CsrMatrix Read(string path, int neurons)
    {
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, neurons);
    }

    /// <param name="name">The file's name, for messages.</param>
    public static CsrMatrix Read(Stream stream, string name, int neurons)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(neurons, 1);
        var reader = new LineReader(stream, name);
        var collector = new CoordinateCollector(name, capacityHint: 32 * neurons);
        CoordinateText.Read(reader, collector, neurons, neurons, pattern: false, "row<TAB>column<TAB>value");
        if (collector.Count == 0) throw new SpDnnDataException(name, "empty file: a layer needs at least one entry");
        return collector.Build(neurons, neurons);
    }
}
