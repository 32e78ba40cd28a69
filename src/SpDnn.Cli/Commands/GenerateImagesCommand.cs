using System.CommandLine;
using SpDnn.Cli.Safety;
using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn generate images</c>: the official input images (MNIST, Fourier resize, threshold).</summary>
public static class GenerateImagesCommand
{
    public static Command Create()
    {
        var neurons = GenerateCommand.NeuronsOption();
        var count = NumberOption.Int("--count", "Keep the first C images (all 60000 are always computed)", 1, MnistTrainingImages.Count, MnistTrainingImages.Count);
        var output = new Option<string?>("--out", "-o") { Description = "Output file: .tsv (official), .tsv.gz, .mtx or .bin; without it the images stay in the cache" };
        var data = GenerateCommand.DataOption();
        var command = new Command("images", "Make the official input images for N neurons (cached in the user data folder)")
        {
            neurons, count, output, data,
        };
        command.SetAction(parse =>
        {
            var config = parse.InvocationConfiguration;
            int n = parse.GetValue(neurons), c = parse.GetValue(count);
            var cache = GenerateCommand.Cache(parse.GetValue(data));
            OutputGuard.Check("--out", parse.GetValue(output), ("image cache", cache.ImagesPath(n)));
            var images = Load(cache, n, StepProgress.For(config.Error));
            if (c < images.Count) images = images.Slice(0, c);
            var path = parse.GetValue(output);
            if (path is null)
            {
                config.Output.WriteLine($"{images.Count} images of {n} pixels, {images.Features.NonZeros} set; cached at {cache.ImagesPath(n)}");
                return CliRunner.ExitOk;
            }
            ImageWriter.Write(images, path, StorageFormats.FromPath(path) ?? StorageFormat.Tsv);
            config.Output.WriteLine($"wrote {path}: {images.Count} images of {n} pixels, {images.Features.NonZeros} set");
            return CliRunner.ExitOk;
        });
        return command;
    }

    /// <summary>All 60000 images for N, from the cache or generated with a progress bar.</summary>
    internal static ImageBatch Load(ChallengeDataCache cache, int neurons, StepProgress progress)
    {
        // Refuse bad sizes before any work.
        try { ChallengeImageGenerator.SideFor(neurons); }
        catch (ArgumentOutOfRangeException) { throw new SpDnnUsageException($"--neurons {neurons}: images need N = S·S with S ≥ 28 (the challenge sizes are 1024, 4096, 16384, 65536)."); }
        const int units = 1000;
        return progress.Run($"images N={neurons}", units,
            bar => cache.Images(neurons, bar is null ? null : new Progress<double>(f => bar.Report((int)(f * units)))));
    }
}
