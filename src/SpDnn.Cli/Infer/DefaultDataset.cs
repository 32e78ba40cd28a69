using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Infer;

/// <summary>
/// The dataset <c>spdnn infer</c> runs when no files are named: the official challenge network and
/// images for N neurons and L layers. The images are generated on first use into the user data
/// cache (binary format) with the shipped truth beside them, so later runs only read them; the
/// network is generated as it is planned, layer by layer, on every run: that costs less than
/// reading its file (32 GB at 65536 x 1920), and the generator gives planners each layer's
/// weights by output as well, which spares them a transpose.
/// </summary>
public static class DefaultDataset
{
    public const int Neurons = 1024;
    public const int Layers = 120;

    /// <param name="Network">Makes the network (the generator: no file).</param>
    /// <param name="LoadingImages">The images of <paramref name="Images"/>, being read (or made before): not read again.</param>
    public sealed record Paths(Func<ILayerSource> Network, string Images, string? Truth, Task<ImageBatch>? LoadingImages = null);

    /// <param name="bias">The constant bias; the challenge's for N when null.</param>
    public static Paths Ensure(ChallengeDataCache cache, int neurons, int layers, StepProgress progress, float? bias = null)
    {
        // Cached images are read on another thread, while the network is checked and the engine
        // opens and plans (65536's 3 GB take seconds); images not made yet are made here, with progress.
        var images = File.Exists(cache.ImagesPath(neurons))
            ? Task.Run(() => cache.Images(neurons))
            : Task.FromResult(progress.Run($"images N={neurons} (made once, then cached)", 1000,
                bar => cache.Images(neurons, bar is null ? null : new Progress<double>(f => bar.Report((int)(f * 1000))))));

        string? truth = null;
        if (ChallengeTruth.TryGet(neurons, layers) is { } categories)
        {
            truth = Path.Combine(cache.Folder, "truth", ChallengeTruth.FileName(neurons, layers));
            if (!File.Exists(truth)) CategoriesFile.Write(truth, categories);
        }
        return new Paths(() => new ChallengeNetworkGenerator(neurons, layers, bias), cache.ImagesPath(neurons), truth, images);
    }
}
