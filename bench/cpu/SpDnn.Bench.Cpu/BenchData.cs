using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Bench.Cpu;

/// <summary>
/// The benchmark's input files in the official TSV layout, shared by both engines: the
/// challenge network's layers (generated when missing) and the image file.
/// </summary>
internal static class BenchData
{
    public static string LayerFolder(string data, int neurons) => Path.Combine(data, $"neuron{neurons}");

    public static string ImageFile(string data, int neurons) => Path.Combine(data, $"sparse-images-{neurons}.tsv");

    /// <summary>Makes sure layers 1..<paramref name="layers"/> of the challenge network exist as TSV files.</summary>
    public static void EnsureLayers(string data, int neurons, int layers)
    {
        string folder = LayerFolder(data, neurons);
        bool complete = Enumerable.Range(1, layers).All(k => File.Exists(Path.Combine(folder, $"n{neurons}-l{k}.tsv")));
        if (complete) return;
        Console.Error.WriteLine($"writing {layers} layers of the N={neurons} challenge network to {folder} ...");
        Directory.CreateDirectory(data);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        NetworkWriter.Write(new ChallengeNetworkGenerator(neurons, layers), folder, StorageFormat.Tsv, layers);
    }

    /// <summary>The image file for <paramref name="neurons"/>, or a clear error saying how to make it.</summary>
    public static string RequireImages(string data, int neurons)
    {
        string path = ImageFile(data, neurons);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: write the challenge images for N={neurons} there (official TSV layout), or pass --images FILE.", path);
        return path;
    }

    /// <summary>The truth categories for the full official image set, when a truth file is at hand (in the data folder, bench/truth or the official data).</summary>
    public static int[]? Truth(string data, int neurons, int layers)
    {
        string name = $"neuron{neurons}-l{layers}-categories.tsv";
        foreach (var folder in new[] { data, Path.Combine(data, "..", "truth"), Path.Combine(data, "..", "..", "data", "official") })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return CategoriesFile.Read(path);
        }
        return null;
    }

    /// <summary>Images written as TSV for the GraphBLAS harness (which reads only TSV), once per <paramref name="tag"/>.</summary>
    public static string WriteTsv(string data, ImageBatch images, string tag)
    {
        string path = Path.Combine(data, $"sparse-images-{images.Neurons}-{tag}.tsv");
        Directory.CreateDirectory(data);
        if (!File.Exists(path)) TsvImageWriter.Write(images, path);
        return path;
    }
}
