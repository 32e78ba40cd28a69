using System.CommandLine;
using SpDnn.Cli.Terminal;
using SpDnn.Formats;
using SpDnn.Generation;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn generate network</c>: the official layers, written in the official layout.</summary>
public static class GenerateNetworkCommand
{
    public static Command Create()
    {
        var neurons = GenerateCommand.NeuronsOption();
        var layers = GenerateCommand.LayersOption(120);
        var format = new Option<string>("--format") { Description = "tsv (official), tsv.gz, mtx, bin or tar.gz", DefaultValueFactory = _ => "tsv" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: gets neuron{N}/n{N}-l{k}.tsv, neuron{N}.bin or neuron{N}.tar.gz", DefaultValueFactory = _ => "." };
        var command = new Command("network", "Write the challenge network of N neurons and L layers (RadiX-Net with the official permutations)")
        {
            neurons, layers, format, output,
        };
        command.SetAction(parse =>
        {
            var config = parse.InvocationConfiguration;
            var network = new ChallengeNetworkGenerator(GenerateCommand.ChallengeNeurons(parse.GetValue(neurons)), parse.GetValue(layers));
            var storage = StorageFormats.Parse(parse.GetValue(format)!);
            var path = StepProgress.For(config.Error).Run($"network N={network.Neurons} L={network.LayerCount}", network.LayerCount,
                progress => GeneratedNetworkWriter.Write(network, parse.GetValue(output)!, storage, network.LayerCount, progress));
            config.Output.WriteLine($"wrote {path}: {network.Description}");
            return CliRunner.ExitOk;
        });
        return command;
    }
}
