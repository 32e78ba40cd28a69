using System.Numerics;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Engines.Reference;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Generation;

/// <summary>Generates the 60000 official N=1024 images once for the class.</summary>
public sealed class OfficialImages1024Fixture
{
    public ChallengeImages Generated { get; } = OfficialImages.Generate(1024);
}

public sealed class ChallengeImageGeneratorTests(OfficialImages1024Fixture fixture) : IClassFixture<OfficialImages1024Fixture>
{
    [Fact]
    public void N1024ImagesEqualTheOfficialSubsetPixelForPixel()
    {
        var official = OfficialMtx.Read(TestData.Official("sparse-images-1024_subset.mtx"));
        Assert.Equal((1200, 1024), (official.Rows, official.Columns));
        var generated = fixture.Generated.Images.Features;
        long differing = 0;
        for (int k = 0; k < 1200; k++)
        {
            var mine = generated.RowIndices(k).ToArray();
            var theirs = official.Entries[k];
            differing += mine.Except(theirs).Count() + theirs.Except(mine).Count();
        }
        Assert.Equal(0, differing);
        Assert.Equal(122_713, official.Entries.Take(1200).Sum(e => e.Count));
    }

    [Fact]
    public void N1024TotalsMatchTheOfficialFile()
    {
        var g = fixture.Generated;
        Assert.Equal(60000, g.Images.Count);
        Assert.Equal(1024, g.Images.Neurons);
        Assert.Equal(6_374_505, g.TotalNonZeros);
        Assert.Equal(6_374_505, g.Images.Features.NonZeros);
        Assert.Equal(369.320485146, g.Maximum, 1e-8);
        Assert.All(g.Images.Features.Values, v => Assert.Equal(1f, v));
        for (int k = 0; k < 60000; k += 997)
        {
            var row = g.Images.Features.RowIndices(k);
            for (int i = 1; i < row.Length; i++) Assert.True(row[i] > row[i - 1]);
        }
    }

    [Fact]
    public void GeneratedImagesThroughGeneratedLayersGiveTheOfficialTruth()
    {
        var truth = File.ReadLines(TestData.Official("neuron1024-l120-categories.tsv")).Where(l => l.Length > 0).Select(int.Parse).ToArray();
        Assert.Equal(1812, truth.Length);
        // The CPU engine is bit-identical to the reference (its conformance tests) and much faster on 60000 images;
        // the 1200-image test below uses the reference itself.
        var result = new CpuEngine().Infer(new ChallengeNetworkGenerator(1024, 120), fixture.Generated.Images);
        Assert.Equal(truth, result.Categories);
    }

    [Fact]
    public void OfficialSubsetThroughGeneratedLayersGivesTheSubsetTruth()
    {
        var images = OfficialMtx.Read(TestData.Official("sparse-images-1024_subset.mtx")).ToBatch();
        var truth = OfficialMtx.Read(TestData.Official("neuron1024-l120-categories_subset.mtx"));
        var expected = Enumerable.Range(0, truth.Rows).Where(r => truth.Entries[r].Count > 0).Select(r => r + 1).ToArray();
        Assert.Equal(19, expected.Length);
        var result = new ReferenceEngine().Infer(new ChallengeNetworkGenerator(1024, 120), images);
        Assert.Equal(expected, result.Categories);
    }

    [Fact]
    public void GenerateDatasetCommandWritesNetworkImagesAndTheOfficialTruth()
    {
        using var temp = new TempDirectory();
        var cache = new ChallengeDataCache(temp.File("cache"));
        BinaryFileWriter.WriteImages(fixture.Generated.Images, cache.ImagesPath(1024)); // as a first run would have left it
        var outcome = CliHost.Run("generate", "dataset", "--neurons", "1024", "--layers", "120", "--format", "bin",
            "--out", temp.File("out"), "--data", cache.Folder);
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal(File.ReadAllBytes(TestData.Official("neuron1024-l120-categories.tsv")), File.ReadAllBytes(temp.File("out/neuron1024-l120-categories.tsv")));
        Assert.True(fixture.Generated.Images.Features.ContentEquals(ImageLoader.Load(temp.File("out/sparse-images-1024.bin")).Features));
        Assert.True(new ChallengeNetworkGenerator(1024, 120).GetLayer(119).Weights.ContentEquals(
            NetworkLoader.Open(temp.File("out/neuron1024.bin")).GetLayer(119).Weights));
    }

    [Fact]
    public void SmallMosaicMatchesADirectTwoDimensionalFourierResize()
    {
        const int digits = 3, side = 32;
        var rng = new Random(11);
        var pixels = new byte[digits * 28 * 28];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = rng.Next(4) == 0 ? (byte)rng.Next(256) : (byte)0;
        var generated = ChallengeImageGenerator.FromDigits(pixels, digits, side * side, digits, null, 2, "test");

        // Direct: the mosaic, 2-D DFT by definition, spectrum placed per axis, inverse DFT by definition, scale n/m per axis.
        int width = 28 * digits, outWidth = side * digits;
        var mosaic = new Complex[28, width];
        for (int d = 0; d < digits; d++)
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                    mosaic[r, d * 28 + c] = pixels[d * 784 + r * 28 + c];
        var resized = ResizeAxis(ResizeAxis(mosaic, 0, side), 1, outWidth);
        double max = 0;
        foreach (var z in resized) max = Math.Max(max, z.Magnitude);
        Assert.Equal(max, generated.Maximum, max * 1e-12);
        for (int k = 0; k < digits; k++)
        {
            var expected = new List<int>();
            for (int c = 0; c < side; c++)
                for (int r = 0; r < side; r++)
                    if (resized[r, k * side + c].Magnitude > max / 2) expected.Add(r + side * c);
            Assert.Equal(expected, generated.Images.Features.RowIndices(k).ToArray());
        }
    }

    [Fact]
    public void VerticalResizeOfAConstantColumnIsConstant()
    {
        var v = ChallengeImageGenerator.VerticalResize(32);
        for (int r = 0; r < 32; r++)
        {
            Complex sum = 0;
            for (int i = 0; i < 28; i++) sum += v[r, i];
            Assert.Equal(1.0, sum.Real, 1e-12);
            Assert.Equal(0.0, sum.Imaginary, 1e-12);
        }
    }

    [Fact]
    public void SizesThatAreNotSquaresOfAtLeast28AreRefused()
    {
        Assert.Equal(256, ChallengeImageGenerator.SideFor(65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChallengeImageGenerator.SideFor(2048));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChallengeImageGenerator.SideFor(729));
    }

    /// <summary>Resizes one axis by the spec's rule, with DFTs evaluated from their definition.</summary>
    private static Complex[,] ResizeAxis(Complex[,] x, int axis, int n)
    {
        int rows = x.GetLength(0), cols = x.GetLength(1), m = axis == 0 ? rows : cols;
        var result = axis == 0 ? new Complex[n, cols] : new Complex[rows, n];
        int lines = axis == 0 ? cols : rows;
        for (int line = 0; line < lines; line++)
        {
            var spectrum = new Complex[n];
            for (int f = 0; f < m; f++)
            {
                Complex sum = 0;
                for (int t = 0; t < m; t++)
                    sum += (axis == 0 ? x[t, line] : x[line, t]) * Complex.FromPolarCoordinates(1, -2 * Math.PI * (f * t % m) / m);
                spectrum[f < m / 2 ? f : n - m + f] = sum;
            }
            for (int j = 0; j < n; j++)
            {
                Complex sum = 0;
                for (int f = 0; f < n; f++)
                    if (spectrum[f] != Complex.Zero) sum += spectrum[f] * Complex.FromPolarCoordinates(1, 2 * Math.PI * ((long)f * j % n) / n);
                var value = sum / m; // (n/m)·(1/n)
                if (axis == 0) result[j, line] = value; else result[line, j] = value;
            }
        }
        return result;
    }
}
