using SpDnn.Model;

namespace SpDnn.Tests.Support;

/// <summary>Image batches with every image several times, for tests of identical-row collapse.</summary>
internal static class RepeatedImages
{
    /// <summary>The images <paramref name="times"/> times over, interleaved (row r is image r mod count), so copies sit in different tiles.</summary>
    public static ImageBatch Interleaved(ImageBatch distinct, int times)
    {
        int count = distinct.Count;
        var offsets = new int[count * times + 1];
        var cols = new List<int>();
        var vals = new List<float>();
        for (int r = 0; r < count * times; r++)
        {
            cols.AddRange(distinct.Features.RowIndices(r % count).ToArray());
            vals.AddRange(distinct.Features.RowValues(r % count).ToArray());
            offsets[r + 1] = cols.Count;
        }
        return new ImageBatch(new CsrMatrix(count * times, distinct.Features.Columns, offsets, [.. cols], [.. vals]));
    }
}
