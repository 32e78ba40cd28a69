using System.CommandLine;
using SpDnn.Cli.Safety;
using SpDnn.Cli.Terminal;
using SpDnn.Engines;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Commands;

/// <summary>
/// <c>spdnn generate dataset</c>: a complete dataset in the official layout: the network, the images
/// and the truth file, computed by an inference engine on the generated data.
/// </summary>
public static class GenerateDatasetCommand
{
    public static Command Create()
    {
        var neurons = GenerateCommand.NeuronsOption();
        var layers = GenerateCommand.LayersOption(120);
        var format = new Option<string>("--format") { Description = "Network and images as tsv (official), tsv.gz, mtx or bin", DefaultValueFactory = _ => "tsv" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "." };
        var engine = new Option<string>("--engine") { Description = $"Engine for the truth file: {EngineFactory.Usage}", DefaultValueFactory = _ => EngineFactory.Auto };
        var data = GenerateCommand.DataOption();
        var command = new Command("dataset", "Write network, images and truth categories (neuron{N}-l{L}-categories.tsv) for N neurons and L layers")
        {
            neurons, layers, format, output, engine, data,
        };
        command.SetAction(parse =>
        {
            var config = parse.InvocationConfiguration;
            var progress = StepProgress.For(config.Error);
            int n = GenerateCommand.ChallengeNeurons(parse.GetValue(neurons)), l = parse.GetValue(layers);
            var storage = StorageFormats.Parse(parse.GetValue(format)!);
            EngineFactory.Check(parse.GetValue(engine)!);
            if (DataFormats.Of(storage).WriteImages is null)
                throw new SpDnnUsageException($"Images cannot be written as {StorageFormats.Name(storage)}; use {DataFormats.Names(f => f.WriteImages is not null)}.");
            var folder = parse.GetValue(output)!;
            var cache = GenerateCommand.Cache(parse.GetValue(data));
            var imagesPath = Path.Combine(folder, $"sparse-images-{n}{DataFormats.Of(storage).Extensions[0]}");
            var truthPath = Path.Combine(folder, $"neuron{n}-l{l}-categories.tsv");
            OutputGuard.Check([("image cache", cache.ImagesPath(n))], [("--out", imagesPath), ("--out", truthPath)]);
            var network = new ChallengeNetworkGenerator(n, l);
            var images = GenerateImagesCommand.Load(cache, n, progress);

            var inference = EngineFactory.Create(parse.GetValue(engine)!);
            var result = progress.Run($"truth ({inference.Name} engine)", l,
                bar => inference.Infer(network, images, new InferenceOptions { Progress = bar }));
            if (ChallengeSpec.LayerCounts.Contains(l) && result.Categories.Length != ChallengeSpec.Survivors(n))
            {
                config.Error.WriteLine($"error: {result.Categories.Length} categories, but the official truth for N={n} has {ChallengeSpec.Survivors(n)}; nothing written");
                return CliRunner.ExitFailedCheck;
            }

            var networkPath = progress.Run($"network N={n} L={l}", l,
                bar => GeneratedNetworkWriter.Write(network, folder, storage, l, bar));
            progress.Run($"images N={n}", 0, _ => { ImageWriter.Write(images, imagesPath, storage); return 0; });
            CategoriesFile.Write(truthPath, result.Categories);
            config.Output.WriteLine($"wrote {networkPath}, {imagesPath} and {truthPath} ({result.Categories.Length} categories, {inference.Name} engine)");
            return CliRunner.ExitOk;
        });
        return command;
    }
}
