using SpDnn.Cli.Reporting;

namespace SpDnn.Tests.Reporting;

public sealed class MachineProbeTests
{
    [Theory]
    [InlineData("0.1.0+dd3c97b5a5773951126dd0d1960ea57423095a87", "dd3c97b5a5773951126dd0d1960ea57423095a87")]
    [InlineData("1.2.3+abcdef1", "abcdef1")]
    [InlineData("1.2.3", null)]
    [InlineData("1.2.3+local.build", null)]
    [InlineData("1.2.3+abc", null)]
    public void BuildCommitIsTheHexRevisionAfterThePlus(string version, string? expected) =>
        Assert.Equal(expected, MachineProbe.BuildCommit(version));

    [Fact]
    public void ThisBuildRecordsItsCommit()
    {
        // The SDK stamps the revision when it builds inside a git checkout, as tests and CI do.
        var commit = MachineProbe.Commit();
        Assert.NotEqual("unknown", commit);
        Assert.Matches("^[0-9a-f]{7,}(\\+dirty)?$", commit);
    }
}
