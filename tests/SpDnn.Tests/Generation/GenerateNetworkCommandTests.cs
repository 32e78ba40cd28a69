using System.Security.Cryptography;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Generation;

public sealed class GenerateNetworkCommandTests
{
    [Fact]
    public void WritesTheOfficialLayoutWithTheOfficialBytes()
    {
        using var temp = new TempDirectory();
        var outcome = CliHost.Run("generate", "network", "--neurons", "1024", "--layers", "8", "--out", temp.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var expected = File.ReadLines(TestData.Official("neuron1024-layers.md5"))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[1], parts => parts[0]);
        var files = Directory.GetFiles(Path.Combine(temp.Path, "neuron1024")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 8).Select(k => $"n1024-l{k}.tsv").Order(), files);
        foreach (var name in files)
            Assert.Equal(expected[name!], Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(Path.Combine(temp.Path, "neuron1024", name!)))));
    }

    [Fact]
    public void RefusesSizesWithoutAChallengeNetworkAndExistingOutput()
    {
        using var temp = new TempDirectory();
        var bad = CliHost.Run("generate", "network", "--neurons", "2048", "--layers", "2", "--out", temp.Path);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("1024, 4096, 16384 and 65536", bad.Error);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));

        Assert.Equal(0, CliHost.Run("generate", "network", "--neurons", "1024", "--layers", "2", "--format", "mtx", "--out", temp.Path).ExitCode);
        var again = CliHost.Run("generate", "network", "--neurons", "1024", "--layers", "2", "--format", "mtx", "--out", temp.Path);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already exists", again.Error);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(temp.Path, "neuron1024"), "*.mtx").Length);
    }
}
