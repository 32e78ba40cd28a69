using System.Runtime.CompilerServices;

namespace SpDnn.Tests.Support;

/// <summary>Locates the official data folder ../shared/graphchallenge-official beside the checkout.</summary>
public static class TestData
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string OfficialFolder => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "graphchallenge-official"));

    public static string Official(string fileName)
    {
        var path = Path.Combine(OfficialFolder, fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"Official test data missing: {path}");
        return path;
    }

    private static string FindRoot([CallerFilePath] string here = "")
    {
        // Prefer the folder holding SpDnn.slnx above the test binaries; fall back to the source path.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SpDnn.slnx"))) return dir.FullName;
        for (var dir = new FileInfo(here).Directory; dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SpDnn.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Cannot find the repository root (SpDnn.slnx).");
    }
}
