namespace SpDnn.Model;

/// <summary>Input images as a sparse matrix: one row per image, one column per neuron.</summary>
public sealed class ImageBatch
{
    private readonly int[]? _imageNumbers;

    /// <param name="features">One row per image.</param>
    /// <param name="description">Where the images come from.</param>
    /// <param name="firstImageNumber">1-based number of row 0 in the whole image set.</param>
    /// <param name="imageNumbers">Explicit 1-based number of every row (ascending), for batches that are not one contiguous slice
    /// (live images gathered after a re-balance); overrides <paramref name="firstImageNumber"/>.</param>
    public ImageBatch(CsrMatrix features, string description = "images", int firstImageNumber = 1, int[]? imageNumbers = null)
    {
        if (imageNumbers is null && (firstImageNumber < 1 || firstImageNumber - 1L + features.Rows > int.MaxValue))
            throw new ArgumentOutOfRangeException(nameof(firstImageNumber), firstImageNumber, $"{features.Rows} images numbered from here pass {int.MaxValue}.");
        if (imageNumbers is not null && imageNumbers.Length != features.Rows)
            throw new ArgumentException($"{imageNumbers.Length} image numbers for {features.Rows} rows.", nameof(imageNumbers));
        Features = features;
        Description = description;
        FirstImageNumber = imageNumbers is { Length: > 0 } ? imageNumbers[0] : firstImageNumber;
        _imageNumbers = imageNumbers;
    }

    /// <summary>The pixels: one row per image, one column per input neuron.</summary>
    public CsrMatrix Features { get; }
    /// <summary>Number of images (rows).</summary>
    public int Count => Features.Rows;
    /// <summary>Pixels per image, which must equal the network's input neurons.</summary>
    public int Neurons => Features.Columns;
    /// <summary>Where the images came from, for messages and reports.</summary>
    public string Description { get; }

    /// <summary>1-based number of the first row in the whole image set (a slice of a larger set starts later).</summary>
    public int FirstImageNumber { get; }

    /// <summary>True when rows carry explicit, possibly non-contiguous numbers.</summary>
    public bool HasExplicitNumbers => _imageNumbers is not null;

    /// <summary>1-based number, in the whole image set, of row <paramref name="row"/>: what categories report.</summary>
    public int ImageNumber(int row) => _imageNumbers is null ? FirstImageNumber + row : _imageNumbers[row];

    /// <summary>The 0-based row of the image numbered <paramref name="imageNumber"/> (the inverse of <see cref="ImageNumber"/>).</summary>
    public int RowOf(int imageNumber)
    {
        int row = _imageNumbers is null ? imageNumber - FirstImageNumber : Array.BinarySearch(_imageNumbers, imageNumber);
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(imageNumber), imageNumber, $"No image {imageNumber} in {Description}.");
        return row;
    }

    /// <summary>Images <paramref name="start"/> .. start+count-1 (0-based rows), keeping their global numbers.</summary>
    public ImageBatch Slice(int start, int count) =>
        _imageNumbers is null
            ? new(Features.SliceRows(start, count), Description, FirstImageNumber + start)
            : new(Features.SliceRows(start, count), Description, imageNumbers: _imageNumbers[start..(start + count)]);
}
