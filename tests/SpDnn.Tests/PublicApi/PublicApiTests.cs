using System.Reflection;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.PublicApi;

/// <summary>
/// The public surface of the packages is reviewed as source: each assembly's listing is committed
/// (tests/SpDnn.Tests/PublicApi/*.approved.txt) and a change to the surface fails here until the listing
/// is updated with it. To accept a change: SPDNN_APPROVE_API=1 dotnet test --filter PublicApiTests, then
/// review and commit the listing's diff.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Assemblies => ["SpDnn", "SpDnn.Data"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void ThePublicSurfaceIsTheApprovedListing(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        string actual = PublicApiListing.Of(assembly);
        string path = Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "PublicApi", $"{assemblyName}.approved.txt");
        if (Environment.GetEnvironmentVariable("SPDNN_APPROVE_API") == "1") File.WriteAllText(path, actual);
        string approved = File.Exists(path) ? File.ReadAllText(path) : "";
        var added = actual.Split('\n').Except(approved.Split('\n')).Where(l => l.Length > 0).ToArray();
        var removed = approved.Split('\n').Except(actual.Split('\n')).Where(l => l.Length > 0).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            $"The public API of {assemblyName} differs from {path} (SPDNN_APPROVE_API=1 accepts it):\n" +
            string.Join('\n', added.Take(40).Select(l => "+ " + l).Concat(removed.Take(40).Select(l => "- " + l))));
    }

    [Fact]
    public void TheListingNamesTypesAndMembersAsCSharpDoes()
    {
        string listing = PublicApiListing.Of(typeof(SpDnn.Engines.EngineFactory).Assembly);
        Assert.Contains("static class SpDnn.Engines.EngineFactory", listing);
        Assert.Contains("SpDnn.Engines.EngineFactory::static SpDnn.Engines.IInferenceEngine Create(System.String name, System.Boolean general = False)", listing);
        Assert.Contains("interface SpDnn.Model.ILayerSource : System.IDisposable", listing);
        Assert.DoesNotContain("get_", listing);
    }
}
