using System.Runtime.CompilerServices;

namespace SpDnn.Tests.Support;

/// <summary>Locates the official challenge files the repository carries in data/official (data/official/README.md says where they come from).</summary>
public static class TestData
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string OfficialFolder => Path.GetFullPath(Path.Combine(RepositoryRoot, "data", "official"));

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
