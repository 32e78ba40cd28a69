using SpDnn.Formats;
using SpDnn.Model;

namespace SpDnn.Generation;

/// <summary>
/// Writes a (generated) network in the official layout under an output folder: a folder
/// <c>neuron{N}/</c> of <c>n{N}-l{k}.tsv</c> (or .tsv.gz, .mtx) files written by several threads at
/// once, or one <c>neuron{N}.bin</c> / <c>neuron{N}.tar.gz</c>. The folder appears only when complete.
/// </summary>
public static class GeneratedNetworkWriter
{
    /// <summary>The path the network will have under <paramref name="outputFolder"/>.</summary>
    public static string TargetPath(string outputFolder, int neurons, StorageFormat format) => format switch
    {
        StorageFormat.Binary => Path.Combine(outputFolder, $"neuron{neurons}.bin"),
        StorageFormat.TarGz => Path.Combine(outputFolder, $"neuron{neurons}.tar.gz"),
        _ => Path.Combine(outputFolder, $"neuron{neurons}"),
    };

    /// <summary>Writes the first <paramref name="layers"/> layers; progress counts layers written. Returns the path.</summary>
    public static string Write(ILayerSource source, string outputFolder, StorageFormat format, int layers, IProgress<int>? progress = null,
        int? maxDegreeOfParallelism = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, source.LayerCount);
        int n = source.Neurons;
        var target = TargetPath(outputFolder, n, format);
        if (format is StorageFormat.Binary or StorageFormat.TarGz)
        {
            NetworkWriter.Write(source, target, format, layers, progress);
            return target;
        }
        string extension = format switch
        {
            StorageFormat.Tsv => ".tsv",
            StorageFormat.TsvGz => ".tsv.gz",
            _ => ".mtx",
        };
        int written = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount };
        AtomicFile.WriteFolder(target, folder =>
            Parallel.For(0, layers, parallel, k =>
            {
                var weights = source.GetLayer(k).Weights;
                var file = Path.Combine(folder, LayerFileName.Format(n, k + 1, extension));
                if (format == StorageFormat.Mtx) MatrixMarketWriter.Write(weights, file, comment: $"layer {k + 1} of {source.Description}");
                else TsvLayerWriter.Write(weights, file);
                progress?.Report(Interlocked.Increment(ref written));
            }));
        return target;
    }
}
