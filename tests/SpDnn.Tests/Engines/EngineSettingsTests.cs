using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Formats;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines;

public sealed class EngineSettingsTests
{
    private sealed record Toy
    {
        public bool Fast { get; init; } = true;
        public CpuSimd Width { get; init; } = CpuSimd.Auto;
        public int Chunk { get; init; } = 4;
    }

    private static readonly EngineSettings<Toy> Rows = new EngineSettings<Toy>()
        .Switch("fast", o => o.Fast, (o, v) => o with { Fast = v })
        .Choice("width", o => o.Width, (o, v) => o with { Width = v })
        .Integer("chunk", 1, o => o.Chunk, (o, v) => o with { Chunk = v });

    [Fact]
    public void OneRowGivesTheHelpTheReadingAndTheReportSuffix()
    {
        Assert.Equal("fast=on|off, width=auto|vector512|vector256|vector128, chunk=N>=1", Rows.Help);
        var options = Rows.Read(EngineSpec.Parse("toy:chunk=8:fast=off"));
        Assert.Equal(new Toy { Fast = false, Chunk = 8 }, options);
        Assert.Equal(":fast=off:chunk=8", Rows.Suffix(options));
        Assert.Equal("", Rows.Suffix(Rows.Read(EngineSpec.Parse("toy:width=auto"))));
        var unknown = Assert.Throws<SpDnnUsageException>(() => Rows.Read(EngineSpec.Parse("toy:slow=on")));
        Assert.Contains("slow", unknown.Message);
        Assert.Throws<SpDnnUsageException>(() => Rows.Read(EngineSpec.Parse("toy:chunk=0")));
    }

    [Fact]
    public void CpuSettingsComeFromTheirRows()
    {
        Assert.Equal(["simd", "order", "dedupe"], CpuEngineOptions.Settings.Keys);
        Assert.Equal("simd=auto|vector512|vector256|vector128, order=auto|layers|tiles, dedupe=on|off", CpuEngineOptions.SettingsHelp);
        Assert.Equal(":simd=vector128:dedupe=off", CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:dedupe=off:simd=vector128")).SpecSuffix());
        Assert.Equal(":order=tiles", CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:order=tiles")).SpecSuffix());
        Assert.Equal(CpuRunOrder.Layers, CpuEngineOptions.FromSpec(EngineSpec.Parse("cpu:order=layers")).Order);
    }

    [Fact]
    public void AutoIsResolvedInOnePlaceAndSettingsCanBeReplaced()
    {
        Assert.Equal("cpu", EngineFactory.Resolve("cpu:simd=vector128").Name);
        var best = EngineFactory.Resolve("auto");
        Assert.Equal(EngineFactory.All.First(e => e.IsAvailable()).Name, best.Name);
        Assert.Equal(EngineFactory.All.First(e => e.IsAvailable() && e.RunsGeneralForm).Name, EngineFactory.Resolve("auto", general: true).Name);
        Assert.Throws<SpDnnUsageException>(() => EngineFactory.Resolve("auto:simd=vector128"));
        var replaced = EngineSpec.Parse("cpu:simd=vector512").With("simd", "vector128");
        Assert.Equal(CpuSimd.Vector128, CpuEngineOptions.FromSpec(replaced).Simd);
    }

    [Fact]
    public void ImagesTakeTheirWidthFromTheNetworkAndSourcesAreDisposable()
    {
        using var temp = new TempDirectory();
        // Nothing sets the last pixels: without N the TSV would be read 6 wide.
        string path = temp.File("images.tsv");
        File.WriteAllText(path, "1\t2\t1\n2\t6\t1\n");
        var weights = CsrMatrix.FromCoordinates(8, 8, [0, 7], [0, 7], [1f, 1f]);
        using ILayerSource network = new InMemoryNetwork([new NetworkLayer(0, weights, NetworkLayer.ConstantBias(8, 0f))], "eight wide");
        Assert.Equal(8, ImageLoader.Load(path, network).Neurons);
        Assert.Equal(6, ImageLoader.Load(path).Neurons);
    }
}
