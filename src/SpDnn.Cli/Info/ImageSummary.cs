using SpDnn.Model;

namespace SpDnn.Cli.Info;

/// <summary>Statistics of an image set for <c>spdnn info</c>.</summary>
public sealed record ImageSummary(string Description, int Images, int FirstImage, int Neurons, long NonZeros, double Density,
    int MinPerImage, int MaxPerImage, int EmptyImages, float MinValue, float MaxValue)
{
    public static ImageSummary Of(ImageBatch images)
    {
        var m = images.Features;
        int min = int.MaxValue, max = 0, empty = 0;
        for (int r = 0; r < m.Rows; r++)
        {
            int length = m.RowLength(r);
            min = Math.Min(min, length);
            max = Math.Max(max, length);
            if (length == 0) empty++;
        }
        float minValue = m.NonZeros > 0 ? m.Values.Min() : 0, maxValue = m.NonZeros > 0 ? m.Values.Max() : 0;
        double density = m.Rows == 0 ? 0 : (double)m.NonZeros / ((double)m.Rows * m.Columns);
        return new ImageSummary(images.Description, m.Rows, images.FirstImageNumber, m.Columns, m.NonZeros, density,
            m.Rows == 0 ? 0 : min, max, empty, minValue, maxValue);
    }

    public IEnumerable<string> Lines()
    {
        yield return $"images      {Description}";
        yield return $"count       {Images:N0} (numbers {FirstImage}..{FirstImage + Images - 1})";
        yield return $"neurons     {Neurons}";
        yield return $"nonzeros    {NonZeros:N0}";
        yield return $"density     {Density:F6}";
        yield return $"per image   {MinPerImage} .. {MaxPerImage} nonzeros; {EmptyImages} empty";
        yield return $"values      {MinValue:R} .. {MaxValue:R}";
    }
}
