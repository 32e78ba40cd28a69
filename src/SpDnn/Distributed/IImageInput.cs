using SpDnn.Model;

namespace SpDnn.Distributed;

/// <summary>
/// Where a rank gets its images. A format that records the image count and can seek to an
/// image (a binary format with an index) reads only the rank's slice; a format that cannot
/// (TSV: no count, no index, lines of any image anywhere) reads the whole set and the rank keeps
/// its slice, which <see cref="ReadsOnlyItsSlice"/> reports.
/// </summary>
public interface IImageInput
{
    /// <summary>Where the images come from, for messages.</summary>
    string Description { get; }

    /// <summary>True when <see cref="ReadRange"/> reads only the requested images.</summary>
    bool ReadsOnlyItsSlice { get; }

    /// <summary>The number of images, known without reading them all; null when only reading tells.</summary>
    int? KnownCount { get; }

    /// <summary>All images.</summary>
    ImageBatch ReadAll();

    /// <summary>Images <paramref name="start"/> .. start+count-1 (0-based), numbered as in the whole set.</summary>
    ImageBatch ReadRange(int start, int count);
}

/// <summary>Image inputs built from what a caller already has.</summary>
public static class ImageInput
{
    /// <summary>Images already in memory (tests, generated sets).</summary>
    public static IImageInput InMemory(ImageBatch images) => new Whole(images.Description, () => images, images.Count);

    /// <summary>A reader that can only read the whole set (e.g. a TSV file): every rank reads all and keeps its slice.</summary>
    public static IImageInput WholeSet(string description, Func<ImageBatch> readAll) => new Whole(description, readAll, null);

    private sealed class Whole(string description, Func<ImageBatch> readAll, int? knownCount) : IImageInput
    {
        public string Description => description;
        public bool ReadsOnlyItsSlice => false;
        public int? KnownCount => knownCount;
        public ImageBatch ReadAll() => readAll();
        public ImageBatch ReadRange(int start, int count) => readAll().Slice(start, count);
    }
}
