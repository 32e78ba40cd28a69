using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// The rows a <see cref="CpuRun"/> starts from, read in place: the images of an Execute call, or
/// the survivors of several image batches after some layers, one matrix per batch, which are
/// not copied into one (at 65536 x 1920 that copy was 0.8 GB more at the run's peak).
/// </summary>
internal sealed class BatchRows
{
    private readonly ImageBatch? _images;
    private readonly int[]? _imageNumbers;
    private readonly int[] _starts; // first row of each source, then the row count

    /// <summary>The images, as they are.</summary>
    public BatchRows(ImageBatch images)
    {
        _images = images;
        Sources = [images.Features];
        _starts = [0, images.Count];
        Width = images.Neurons;
    }

    /// <summary>Rows of several matrices of one width, in order, as one set; row r is the image numbered <paramref name="imageNumbers"/>[r].</summary>
    public BatchRows(IReadOnlyList<CsrMatrix> sources, int[] imageNumbers)
    {
        if (sources.Count == 0) throw new ArgumentException("At least one matrix of rows is needed.", nameof(sources));
        Sources = sources;
        _imageNumbers = imageNumbers;
        _starts = new int[sources.Count + 1];
        for (int k = 0; k < sources.Count; k++)
        {
            if (sources[k].Columns != sources[0].Columns) throw new ArgumentException("The matrices differ in width.", nameof(sources));
            _starts[k + 1] = _starts[k] + sources[k].Rows;
        }
        if (imageNumbers.Length != _starts[^1]) throw new ArgumentException("One image number per row is needed.", nameof(imageNumbers));
        Width = sources[0].Columns;
    }

    /// <summary>The matrices the rows are in (a run reads each as one arena).</summary>
    public IReadOnlyList<CsrMatrix> Sources { get; }

    /// <summary>Rows in all.</summary>
    public int Count => _starts[^1];

    /// <summary>Entries of each row.</summary>
    public int Width { get; }

    /// <summary>The image number of row <paramref name="row"/>.</summary>
    public int ImageNumber(int row) => _images?.ImageNumber(row) ?? _imageNumbers![row];

    /// <summary>Row <paramref name="row"/>: which source it is in, where its entries start there and how many there are.</summary>
    public RowRef Row(int row)
    {
        int source = SourceOf(row);
        var m = Sources[source];
        int local = row - _starts[source];
        return new RowRef(source, m.RowOffsets[local], m.RowLength(local));
    }

    /// <summary>Entries of rows <paramref name="first"/> .. first+count-1.</summary>
    public long Entries(int first, int count)
    {
        long entries = 0;
        int end = first + count;
        for (int k = 0; k < Sources.Count; k++)
        {
            int from = Math.Max(first, _starts[k]) - _starts[k], to = Math.Min(end, _starts[k + 1]) - _starts[k];
            if (from < to) entries += Sources[k].RowOffsets[to] - Sources[k].RowOffsets[from];
        }
        return entries;
    }

    private int SourceOf(int row)
    {
        int at = Array.BinarySearch(_starts, row);
        // An exact hit is the first row of a source (empty sources share their start: take the last).
        if (at >= 0)
        {
            while (at + 1 < _starts.Length - 1 && _starts[at + 1] == row) at++;
            return at;
        }
        return ~at - 1;
    }
}
