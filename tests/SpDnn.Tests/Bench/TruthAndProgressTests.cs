using SpDnn.Cli.Bench;
using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Bench;

public sealed class TruthAndProgressTests
{
    [Fact]
    public void TheShippedTruthIsUsedWhereNoFolderHoldsOne()
    {
        using var empty = new TempDirectory();
        var found = TruthLookup.Find([empty.Path], 1024, 120, 60000);
        Assert.NotNull(found);
        Assert.Equal(ChallengeTruth.TryGet(1024, 120), found.Value.Categories);
        Assert.StartsWith("(shipped)", found.Value.Path);
        Assert.All(TruthLookup.Find([empty.Path], 1024, 120, 1000)!.Value.Categories, c => Assert.InRange(c, 1, 1000));
        Assert.Null(TruthLookup.Find([empty.Path], 1024, 7, 60000));
    }

    [Fact]
    public void PlainProgressPrintsLinesAndTenths()
    {
        var error = new StringWriter();
        int result = new StepProgress.PlainProgress(error).Run("layers", 20, p =>
        {
            for (int i = 1; i <= 20; i++) p!.Report(i);
            return 7;
        });
        Assert.Equal(7, result);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("layers ...", lines[0]);
        Assert.Equal(["layers: 10%", "layers: 20%", "layers: 30%", "layers: 40%", "layers: 50%", "layers: 60%", "layers: 70%", "layers: 80%", "layers: 90%"], lines[1..^1]);
        Assert.StartsWith("layers: done in ", lines[^1]);
    }
}
