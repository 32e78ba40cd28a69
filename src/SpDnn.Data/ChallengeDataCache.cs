using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Data;

/// <summary>
/// Generated challenge data kept in a user data folder so it is made once per machine:
/// <c>$SPDNN_DATA</c> when set, else <c>$XDG_DATA_HOME/spdnn</c>, else the platform's local
/// application data folder + <c>spdnn</c> (<c>~/.local/share/spdnn</c> on Linux). Files are written
/// atomically in the binary format (checksummed sections) and reused only when they read back
/// cleanly and have the expected shape; anything else is made again.
/// </summary>
public sealed class ChallengeDataCache(string folder)
{
    /// <summary>The cache's folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>The cache in the user's data folder.</summary>
    public static ChallengeDataCache Default => new(DefaultFolder());

    /// <summary>The user data folder the cache lives in (see the class summary).</summary>
    public static string DefaultFolder()
    {
        var explicitFolder = Environment.GetEnvironmentVariable("SPDNN_DATA");
        if (!string.IsNullOrWhiteSpace(explicitFolder)) return Path.GetFullPath(explicitFolder);
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "spdnn");
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(local))
            local = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(local, "spdnn");
    }

    /// <summary>Where the 60000 official images for <paramref name="neurons"/> are kept.</summary>
    public string ImagesPath(int neurons) => Path.Combine(Folder, "images", $"sparse-images-{neurons}.bin");

    /// <summary>
    /// The 60000 official images for <paramref name="neurons"/>: read from the cache, or generated (the
    /// progress reports fractions of the generation) and stored first.
    /// </summary>
    public ImageBatch Images(int neurons, IProgress<double>? progress = null) =>
        GetOrCreate(ImagesPath(neurons),
            images => images.Count == MnistTrainingImages.Count && images.Neurons == neurons && images.FirstImageNumber == 1 &&
                      (ChallengeImageGenerator.OfficialNonZeros(neurons) is not { } nnz || images.Features.NonZeros == nnz),
            () => OfficialImages.Generate(neurons, progress: progress).Images);

    /// <summary>Reads <paramref name="path"/> when it holds valid images, else creates, stores and returns them.</summary>
    internal static ImageBatch GetOrCreate(string path, Func<ImageBatch, bool> isValid, Func<ImageBatch> create)
    {
        if (File.Exists(path))
        {
            try
            {
                var cached = ImageLoader.Load(path);
                if (isValid(cached)) return new ImageBatch(cached.Features, $"{cached.Description} (cached)", cached.FirstImageNumber);
            }
            catch (SpDnnDataException)
            {
                // Damaged or foreign file: fall through and make it again.
            }
        }
        var images = create();
        ImageWriter.Write(images, path, StorageFormat.Binary);
        return images;
    }
}
