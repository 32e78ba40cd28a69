using SpDnn.Formats;
using SpDnn.Tests.Formats;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

public class ConvertAndInfoTests(CliFixture data) : IClassFixture<CliFixture>
{
    [Theory]
    [InlineData("net.bin", null)]
    [InlineData("neuron64.tar.gz", null)]
    [InlineData("folder-mtx", "mtx")]
    [InlineData("folder-gz", "tsv.gz")]
    public void ConvertsNetworks(string name, string? to)
    {
        var output = data.NewOutput(name);
        string[] args = ["convert", "--input", data.NetworkPath, "--output", output, "--bias", "-0.5", .. (to is null ? Array.Empty<string>() : ["--to", to])];
        var run = CliHost.Run(args);
        Assert.Equal(0, run.ExitCode);
        var back = NetworkLoader.Open(output, bias: -0.5f);
        try
        {
            FormatTestData.AssertSameNetwork(data.Network, back);
        }
        finally
        {
            (back as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void ConvertTakesTheFirstLayers()
    {
        var output = data.NewOutput("net3.bin");
        Assert.Equal(0, CliHost.Run("convert", "--input", data.NetworkPath, "--output", output, "--layers", "3", "--bias", "0").ExitCode);
        using var back = new BinaryNetworkSource(output);
        Assert.Equal(3, back.LayerCount);
        Assert.All(back.GetLayer(0).Bias, b => Assert.Equal(0f, b));
    }

    [Theory]
    [InlineData("images.bin")]
    [InlineData("images.mtx")]
    [InlineData("images.tsv.gz")]
    public void ConvertsImages(string name)
    {
        var output = data.NewOutput(name);
        var run = CliHost.Run("convert", "--input", data.ImagesPath, "--output", output);
        Assert.Equal(0, run.ExitCode);
        var back = ImageLoader.Load(output, CliFixture.Neurons);
        FormatTestData.AssertSameImages(data.Images, back);
    }

    [Fact]
    public void ConvertOfBadInputLeavesNoOutput()
    {
        var input = data.NewOutput("bad.mtx");
        File.WriteAllText(input, "%%MatrixMarket matrix coordinate real general\n4 4 3\n1 1 1\n2 2 2\n");
        var output = data.NewOutput("out.bin");
        var run = CliHost.Run("convert", "--input", input, "--output", output);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: {input}:4: ", run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));

        // A network whose third layer is bad: the first two were already converted, yet nothing is left.
        var folder = data.NewOutput("net");
        NetworkWriter.Write(data.Network, folder, StorageFormat.Tsv);
        File.WriteAllText(Path.Combine(folder, "n64-l3.tsv"), "1\t1\t1\n1\t1\t1\n");
        foreach (var target in new[] { "out.bin", "out.tar.gz", "outfolder" })
        {
            var path = data.NewOutput(target);
            run = CliHost.Run("convert", "--input", folder, "--output", path, "--bias", "0");
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("n64-l3.tsv:2: duplicate entry (1, 1)", run.Error);
            Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
        }
    }

    [Fact]
    public void InfoDescribesNetworksAndImages()
    {
        var run = CliHost.Run("info", data.NetworkPath, "--bias", "-0.5");
        Assert.Equal(0, run.ExitCode);
        long total = Enumerable.Range(0, CliFixture.Layers).Sum(k => data.Network.GetLayer(k).Weights.NonZeros);
        Assert.Contains($"neurons     {CliFixture.Neurons}", run.Output);
        Assert.Contains($"layers      {CliFixture.Layers}", run.Output);
        Assert.Contains($"weights     {total:N0} in all", run.Output);
        Assert.Contains("bias        -0.5 .. -0.5", run.Output);

        run = CliHost.Run("info", TestData.Official("sparse-images-1024_subset.mtx"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("count       1,200", run.Output);
        Assert.Contains("nonzeros    122,713", run.Output);
        Assert.Contains("neurons     1024", run.Output);
    }

    [Fact]
    public void NeuronsCanBeGivenForImagesThatDoNotSayIt()
    {
        var output = data.NewOutput("plain.tsv");
        Assert.Equal(0, CliHost.Run("convert", "--input", data.ImagesPath, "--output", output).ExitCode);
        var run = CliHost.Run("info", output, "--neurons", "64");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("neurons     64", run.Output);
        run = CliHost.Run("info", output, "--neurons", "8");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("outside 1..8", run.Error);
    }

    [Fact]
    public void InfoOfAMissingPathIsBadInput()
    {
        var run = CliHost.Run("info", Path.Combine(data.Folder, "nothing-here"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nothing-here", run.Error);
    }
}
