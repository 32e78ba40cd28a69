using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>
/// Writes a (generated) network in the official layout under an output folder: a folder
/// <c>neuron{N}/</c> of <c>n{N}-l{k}.tsv</c> (or .tsv.gz, .mtx) files written by several threads at
/// once, or one <c>neuron{N}.bin</c> / <c>neuron{N}.tar.gz</c> (any format of <see cref="DataFormats"/>
/// that holds networks). The folder appears only when complete.
/// </summary>
internal static class GeneratedNetworkWriter
{
    /// <summary>The path the network will have under <paramref name="outputFolder"/>.</summary>
    public static string TargetPath(string outputFolder, int neurons, StorageFormat format)
    {
        var row = DataFormats.Of(format);
        return Path.Combine(outputFolder, row.NetworkIsFolder ? $"neuron{neurons}" : $"neuron{neurons}{row.Extensions[0]}");
    }

    /// <summary>Writes the first <paramref name="layers"/> layers; progress counts layers written. Returns the path.</summary>
    public static string Write(ILayerSource source, string outputFolder, StorageFormat format, int layers, IProgress<int>? progress = null,
        int? maxDegreeOfParallelism = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, source.LayerCount);
        var target = TargetPath(outputFolder, source.Neurons, format);
        var row = DataFormats.Of(format);
        // Generating a layer costs more than writing it: a folder's layers are made and written on every core.
        if (row.NetworkIsFolder) LayerFolderWriter.Write(source, target, row, layers, progress, maxDegreeOfParallelism ?? Environment.ProcessorCount);
        else NetworkWriter.Write(source, target, format, layers, progress);
        return target;
    }
}
