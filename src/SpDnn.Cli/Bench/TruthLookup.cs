using SpDnn.Data;
using SpDnn.Formats;

namespace SpDnn.Cli.Bench;

/// <summary>Finds the truth categories of a challenge network among truth folders.</summary>
public static class TruthLookup
{
    public static string FileName(int neurons, int layers) => $"neuron{neurons}-l{layers}-categories.tsv";

    /// <summary>
    /// The truth restricted to the first <paramref name="images"/> images: from the first folder that holds its
    /// file, else the one shipped in SpDnn.Data (so the tool checks the challenge networks wherever it runs);
    /// null for networks without either.
    /// </summary>
    public static (int[] Categories, string Path)? Find(IEnumerable<string> folders, int neurons, int layers, int images)
    {
        foreach (var folder in folders)
        {
            var path = Path.Combine(folder, FileName(neurons, layers));
            if (!File.Exists(path)) continue;
            return ([.. CategoriesFile.Read(path).Where(c => c <= images)], path);
        }
        return ChallengeTruth.TryGet(neurons, layers) is { } shipped
            ? ([.. shipped.Where(c => c <= images)], $"(shipped) {FileName(neurons, layers)}")
            : null;
    }

    /// <summary>The default folders: bench/truth in the current tree, then the official truth files in data/official.</summary>
    public static IReadOnlyList<string> DefaultFolders()
    {
        var folders = new List<string>();
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var truth = Path.Combine(dir.FullName, "bench", "truth");
            if (Directory.Exists(truth)) folders.Add(truth);
            var official = Path.Combine(dir.FullName, "data", "official");
            if (Directory.Exists(official)) folders.Add(official);
        }
        return folders;
    }
}
