namespace SpDnn.Model;

/// <summary>Input images as a sparse matrix: one row per image, one column per neuron.</summary>
public sealed class ImageBatch
{
    public ImageBatch(CsrMatrix features, string description = "images", int firstImageNumber = 1)
    {
        Features = features;
        Description = description;
        FirstImageNumber = firstImageNumber;
    }

    public CsrMatrix Features { get; }
    public int Count => Features.Rows;
    public int Neurons => Features.Columns;
    public string Description { get; }

    /// <summary>1-based number of the first row in the whole image set (a slice of a larger set starts later).</summary>
    public int FirstImageNumber { get; }

    /// <summary>Images <paramref name="start"/> .. start+count-1 (0-based rows), keeping their global numbers.</summary>
    public ImageBatch Slice(int start, int count) =>
        new(Features.SliceRows(start, count), Description, FirstImageNumber + start);
}
