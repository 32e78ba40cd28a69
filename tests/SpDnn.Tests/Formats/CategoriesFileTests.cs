using SpDnn.Formats;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

public class CategoriesFileTests
{
    [Fact]
    public void RoundTripsInTheOfficialLayout()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cats.tsv");
        int[] categories = [3, 17, 200, 60000];
        CategoriesFile.Write(path, categories);
        Assert.Equal("3\n17\n200\n60000\n", File.ReadAllText(path));
        Assert.Equal(categories, CategoriesFile.Read(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AnEmptyFileMeansNoSurvivor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("none.tsv");
        CategoriesFile.Write(path, []);
        Assert.Empty(CategoriesFile.Read(path));
    }

    [Fact]
    public void ReadsTheOfficialTruthFiles()
    {
        var full = CategoriesFile.Read(TestData.Official("neuron1024-l120-categories.tsv"));
        Assert.Equal(1812, full.Length);
        var subset = CategoriesFile.Read(TestData.Official("neuron1024-l120-categories_subset.mtx"));
        Assert.Equal(19, subset.Length);
        Assert.Equal(full.Where(c => c <= 1200), subset);
        Assert.Equal(287, subset[0]);
        Assert.Equal(1200, subset[^1]);
    }

    [Theory]
    [InlineData("3\n2\n", 2, "not ascending")]
    [InlineData("3\n3\n", 2, "duplicate image number 3")]
    [InlineData("3\nx\n", 2, "malformed line")]
    [InlineData("0\n", 1, "outside")]
    public void BadLinesNameFileAndLine(string content, int line, string reason)
    {
        using var dir = new TempDirectory();
        var path = dir.File("truth.tsv");
        File.WriteAllText(path, content);
        var e = Assert.Throws<SpDnnDataException>(() => CategoriesFile.Read(path));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith($"{path}:{line}:", e.Message);
    }

    [Fact]
    public void AFailedWriteLeavesNoFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cats.tsv");
        Assert.Throws<ArgumentException>(() => CategoriesFile.Write(path, [5, 4]));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
