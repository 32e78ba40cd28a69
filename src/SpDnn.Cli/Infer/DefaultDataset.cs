using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Infer;

/// <summary>
/// The dataset <c>spdnn infer</c> runs when no files are named: the official challenge network and
/// images for N neurons and L layers, generated on first use into the user data cache (binary
/// format) with the shipped truth beside them, so later runs only read them.
/// </summary>
public static class DefaultDataset
{
    public const int Neurons = 1024;
    public const int Layers = 120;

    /// <param name="LoadingImages">The images of <paramref name="Images"/>, being read (or made before): not read again.</param>
    public sealed record Paths(string Network, string Images, string? Truth, Task<ImageBatch>? LoadingImages = null);

    public static Paths Ensure(ChallengeDataCache cache, int neurons, int layers, StepProgress progress)
    {
        // Cached images are read on another thread, while the network is checked and the engine
        // opens and plans (65536's 3 GB take seconds); images not made yet are made here, with progress.
        var images = File.Exists(cache.ImagesPath(neurons))
            ? Task.Run(() => cache.Images(neurons))
            : Task.FromResult(progress.Run($"images N={neurons} (made once, then cached)", 1000,
                bar => cache.Images(neurons, bar is null ? null : new Progress<double>(f => bar.Report((int)(f * 1000))))));

        string network = Path.Combine(cache.Folder, "networks", $"neuron{neurons}-l{layers}.bin");
        if (!IsUsable(network, layers))
        {
            var generator = new ChallengeNetworkGenerator(neurons, layers);
            progress.Run($"network N={neurons} L={layers} (made once, then cached)", layers,
                bar => { NetworkWriter.Write(generator, network, StorageFormat.Binary, layers, bar); return 0; });
        }

        string? truth = null;
        if (ChallengeTruth.TryGet(neurons, layers) is { } categories)
        {
            truth = Path.Combine(cache.Folder, "truth", ChallengeTruth.FileName(neurons, layers));
            if (!File.Exists(truth)) CategoriesFile.Write(truth, categories);
        }
        return new Paths(network, cache.ImagesPath(neurons), truth, images);
    }

    private static bool IsUsable(string path, int layers)
    {
        if (!File.Exists(path)) return false;
        try
        {
            var source = NetworkLoader.Open(path);
            bool usable = source.LayerCount == layers;
            (source as IDisposable)?.Dispose();
            return usable;
        }
        catch (SpDnnDataException)
        {
            return false;   // damaged: made again
        }
    }
}
