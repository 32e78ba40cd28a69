using System.CommandLine;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn generate</c>: the exact challenge data made here (network, images, whole dataset).</summary>
public static class GenerateCommand
{
    public static Command Create() => new("generate", "Make the official challenge data exactly: networks, input images, complete datasets")
    {
        GenerateNetworkCommand.Create(),
        GenerateImagesCommand.Create(),
        GenerateDatasetCommand.Create(),
    };

    /// <summary>--neurons, required, one of the challenge sizes for networks.</summary>
    internal static Option<int> NeuronsOption() =>
        NumberOption.Int("--neurons", "Neurons N: 1024, 4096, 16384 or 65536", 1, int.MaxValue, defaultValue: null, "-n");

    /// <summary>N when it is a size the challenge networks exist for; a one-line error otherwise.</summary>
    internal static int ChallengeNeurons(int neurons) => Model.ChallengeSpec.IsChallengeSize(neurons)
        ? neurons
        : throw new SpDnnUsageException($"--neurons {neurons}: challenge networks exist for 1024, 4096, 16384 and 65536 neurons.");

    /// <summary>--data: the cache of generated images (default: $SPDNN_DATA, else the user data folder + spdnn).</summary>
    internal static Option<string?> DataOption() => new("--data")
    {
        Description = "Cache folder for generated images (default: $SPDNN_DATA, else $XDG_DATA_HOME/spdnn or ~/.local/share/spdnn)",
    };

    internal static Data.ChallengeDataCache Cache(string? folder) =>
        folder is null ? Data.ChallengeDataCache.Default : new Data.ChallengeDataCache(Path.GetFullPath(folder));

    internal static Option<int> LayersOption(int defaultLayers) =>
        NumberOption.Int("--layers", "Layers L (120, 480 and 1920 are the challenge's; more keep drawing from the same random stream)",
            1, NumberOption.MaxLayers, defaultLayers, "-l");
}
