using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>
/// Writes a network as a folder of <c>n{N}-l{k}</c> layer files in a format whose network is a
/// folder (<see cref="DataFormat.NetworkIsFolder"/>): the folder appears only when complete.
/// </summary>
internal static class LayerFolderWriter
{
    /// <param name="parallelism">Layers written at once: more than one when making a layer costs more than writing it (generators).</param>
    public static void Write(ILayerSource source, string path, DataFormat format, int layers, IProgress<int>? progress, int parallelism = 1)
    {
        var writeLayer = format.WriteLayer ?? throw new ArgumentException($"{format.Name} files hold no layers.", nameof(format));
        int n = source.Neurons, written = 0;
        AtomicFile.WriteFolder(path, folder =>
            Parallel.For(0, layers, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, k =>
            {
                var file = Path.Combine(folder, LayerFileName.Format(n, k + 1, format.Extensions[0]));
                writeLayer(source.GetLayer(k).Weights, file, $"layer {k + 1} of {source.Description}");
                progress?.Report(Interlocked.Increment(ref written));
            }));
    }
}
