using System.CommandLine;
using SpDnn.Cli;
using SpDnn.Cli.Commands;

namespace SpDnn.Tests.Cli;

/// <summary>Every usage mistake ends with exit code 2 and plain sentences: no .NET type names, no stack trace.</summary>
public class UsageErrorTests(CliFixture data) : IClassFixture<CliFixture>
{
    private string[] Infer(params string[] extra) => ["infer", "--network", data.NetworkPath, "--images", data.ImagesPath, "--bias", "-0.5", .. extra];

    public static TheoryData<string, string[]> Mistakes => new()
    {
        { "Unknown engine \"foo\"", ["--engine", "foo"] },
        { "cpu engine has no setting foo", ["--engine", "cpu:foo=1"] },
        { "auto takes no settings", ["--engine", "auto:chunk=2"] },
        { "--threads takes a whole number from 0 to 1024, not '100000'", ["--threads", "100000"] },
        { "--threads takes a whole number from 0 to 1024, not 'abc'", ["--threads", "abc"] },
        { "--layers takes a whole number from 1 to", ["--layers", "0"] },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void InferMistakesExitTwoWithAPlainMessage(string expected, string[] extra) =>
        AssertUsageError(CliHost.Run(Infer(extra)), expected);

    [Fact]
    public void ABiasThatIsNotANumberIsNamedPlainly()
    {
        var run = CliHost.Run(["infer", "--network", data.NetworkPath, "--images", data.ImagesPath, "--bias", "abc"]);
        AssertUsageError(run, "--bias takes a finite number such as -0.3, not 'abc'");
    }

    [Fact]
    public void GenerateAndConvertMistakesExitTwo()
    {
        AssertUsageError(CliHost.Run("generate", "images", "--neurons", "1024", "--count", "0"), "--count takes a whole number from 1 to 60000, not '0'");
        AssertUsageError(CliHost.Run("generate", "network", "--neurons", "1000"), "challenge networks exist for 1024, 4096, 16384 and 65536");
        AssertUsageError(CliHost.Run("generate", "dataset", "--neurons", "1024", "--engine", "nope"), "Unknown engine \"nope\"");
        var output = data.NewOutput("out.bin");
        AssertUsageError(CliHost.Run("convert", "--input", data.ImagesPath, "--output", output, "--to", "xyz"), "Unknown format \"xyz\"");
        Assert.False(File.Exists(output));
        AssertUsageError(CliHost.Run("convert", "--input", data.ImagesPath, "--output", output, "--kind", "foo"), "--kind takes one of auto, network, images, not 'foo'");
        AssertUsageError(CliHost.Run("bench", "--engine", "cpu:nope=1", "--out", data.NewOutput("bench")), "cpu engine has no setting nope");
    }

    [Fact]
    public void EveryNumberOrChoiceOptionParsesItsOwnValue()
    {
        // A numeric or enum option left to the parser's default conversion would print .NET type names again.
        var root = new RootCommand("spdnn");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        var unparsed = new List<string>();
        void Visit(Command command)
        {
            foreach (var option in command.Options)
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                var element = type.IsArray ? type.GetElementType()! : type;
                if (element == typeof(bool) || element == typeof(string) || !(element.IsPrimitive || element.IsEnum)) continue;
                if (option.GetType().GetProperty("CustomParser")!.GetValue(option) is null) unparsed.Add($"{command.Name} {option.Name}");
            }
            foreach (var sub in command.Subcommands) Visit(sub);
        }
        Visit(root);
        Assert.Empty(unparsed);
    }

    private static void AssertUsageError(CliHost.Outcome run, string expected)
    {
        Assert.Equal(CliRunner.ExitBadInput, run.ExitCode);
        Assert.StartsWith("error: ", run.Error);
        Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("System.", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }
}
