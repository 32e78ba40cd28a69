using System.CommandLine;
using SpDnn.Cli.Info;
using SpDnn.Cli.Terminal;
using SpDnn.Formats;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn info PATH</c>: statistics of a network or an image set.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Network (folder, .tar.gz, .bin) or images (.tsv, .tsv.gz, .mtx, .bin)" };
        var layers = NumberOption.OptionalInt("--layers", "Networks: only the first L layers", 1, NumberOption.MaxLayers);
        var bias = NumberOption.OptionalReal("--bias", "Networks: bias to assume (default: the challenge's value for N, or the stored one)");
        var neurons = NumberOption.OptionalInt("--neurons", "Images: N, when the file does not say it (TSV without an official name)", 1, int.MaxValue);
        var kind = ChoiceOption.Of("--kind", "network or images (detected by default)", DataKind.Auto);

        var command = new Command("info", "Statistics of a network or an image set") { path, layers, bias, neurons, kind };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(path)!;
            var config = parse.InvocationConfiguration;
            var progress = StepProgress.For(config.Error);
            var what = parse.GetValue(kind) is DataKind.Auto ? DataKinds.Detect(source) : parse.GetValue(kind);
            IEnumerable<string> lines;
            if (what == DataKind.Network)
            {
                var network = NetworkLoader.Open(source, parse.GetValue(layers), parse.GetValue(bias));
                try
                {
                    lines = progress.Run("reading layers", network.LayerCount, reporter => NetworkSummary.Of(network, reporter)).Lines();
                }
                finally
                {
                    (network as IDisposable)?.Dispose();
                }
            }
            else
            {
                lines = progress.Run("reading images", 0, _ => ImageSummary.Of(ImageLoader.Load(source, parse.GetValue(neurons)))).Lines();
            }
            foreach (var line in lines) config.Output.WriteLine(line);
            return CliRunner.ExitOk;
        });
        return command;
    }
}
