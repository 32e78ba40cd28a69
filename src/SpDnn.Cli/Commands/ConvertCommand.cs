using System.CommandLine;
using SpDnn.Cli.Safety;
using SpDnn.Cli.Terminal;
using SpDnn.Formats;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn convert</c>: a network or image set from any supported format to another, atomically.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Network (folder, .tar.gz, .bin) or images (.tsv, .tsv.gz, .mtx, .bin)", Required = true };
        var outputPath = new Option<string>("--output") { Description = "Output file, or folder for a network in tsv/tsv.gz/mtx", Required = true };
        var to = new Option<string?>("--to")
        {
            Description = $"Networks: {DataFormats.Names(f => (f.Writes & FormatHolds.Network) != 0)}; images: "
                + $"{DataFormats.Names(f => f.WriteImages is not null)}; default from the output name",
        };
        var layers = NumberOption.OptionalInt("--layers", "Networks: keep the first L layers", 1, NumberOption.MaxLayers);
        var bias = NumberOption.OptionalReal("--bias", "Networks: bias to store in a .bin (default: the challenge's value for N, or the stored one)");
        var neurons = NumberOption.OptionalInt("--neurons", "Images: N, when the file does not say it (TSV without an official name)", 1, int.MaxValue);
        var kind = ChoiceOption.Of("--kind", "network or images (detected by default)", DataKind.Auto);

        var command = new Command("convert", "Convert a network or image set between formats") { input, outputPath, to, layers, bias, neurons, kind };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(input)!, target = parse.GetValue(outputPath)!;
            OutputGuard.Check("--output", target, ("--input", source));
            var what = parse.GetValue(kind) is DataKind.Auto ? DataKinds.Detect(source) : parse.GetValue(kind);
            var format = parse.GetValue(to) is { } name ? StorageFormats.Parse(name) : StorageFormats.FromPath(target);
            var config = parse.InvocationConfiguration;
            var progress = StepProgress.For(config.Error);
            if (what == DataKind.Network)
            {
                var network = NetworkLoader.Open(source, parse.GetValue(layers), parse.GetValue(bias));
                try
                {
                    var chosen = format ?? StorageFormat.Tsv;
                    progress.Run($"writing {StorageFormats.Name(chosen)}", network.LayerCount, reporter =>
                    {
                        NetworkWriter.Write(network, target, chosen, progress: reporter);
                        return 0;
                    });
                    config.Output.WriteLine($"wrote {target}: network of {network.Neurons} neurons, {network.LayerCount} layers ({StorageFormats.Name(chosen)})");
                }
                finally
                {
                    (network as IDisposable)?.Dispose();
                }
            }
            else
            {
                if (parse.GetValue(layers) is not null) throw new SpDnnUsageException("--layers applies to networks only.");
                var chosen = format ?? throw new SpDnnUsageException($"Cannot tell the image format from \"{target}\"; give --to.");
                var images = progress.Run("reading images", 0, _ => ImageLoader.Load(source, parse.GetValue(neurons)));
                progress.Run($"writing {StorageFormats.Name(chosen)}", 0, _ =>
                {
                    ImageWriter.Write(images, target, chosen);
                    return 0;
                });
                config.Output.WriteLine($"wrote {target}: {images.Count} images of {images.Neurons} pixels, {images.Features.NonZeros} nonzeros ({StorageFormats.Name(chosen)})");
            }
            return CliRunner.ExitOk;
        });
        return command;
    }
}
