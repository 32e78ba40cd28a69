using SpDnn.Cli;
using SpDnn.Cli.Commands;
using SpDnn.Tests.Cli;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Reporting;

public sealed class ReportTests
{
    private static string Sample => Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Reporting", "sample-record.json");


    [Fact]
    public void RendersTablesAndValidPngPlotsFromAStoredRecord()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliHost.Run("report", Sample, "--out", dir.Path, "--network", "1024x120").ExitCode);

        string md = File.ReadAllText(dir.File("sample-record.md"));
        Assert.Contains("| 1024 x 120 | cpu | 1200 | 0.500 | 0.250 | 0.125 | 0.038 | - | 19 | PASSED |", md);   // 1200·32·1024·120 / 0.125 s
        Assert.Contains("| 4096 x 120 | cpu | 60000 | 1.500 | 0.750 | 3 | 0.315 | 0.01x | 1801 | FAILED |", md);
        Assert.Contains("commit `abc1234`", md);
        string csv = File.ReadAllText(dir.File("sample-record.csv"));
        Assert.Equal(4, csv.Trim().Split('\n').Length);

        foreach (var png in new[] { "sample-record-teps.png", "sample-record-cpu-1024x120-layers.png", "sample-record-cpu-1024x120-convergence.png",
                                    "sample-record-reference-1024x120-layers.png" })
        {
            var (width, height) = PngSize(dir.File(png));
            Assert.Equal((1000, 600), (width, height));
            Assert.True(new FileInfo(dir.File(png)).Length > 5000, $"{png} looks empty");
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void PlotsUseTheFontShippedInTheTool()
    {
        SpDnn.Cli.Reporting.PlotFonts.Ensure();
        Assert.Equal(SpDnn.Cli.Reporting.PlotFonts.Family, ScottPlot.Fonts.Default);
        foreach (bool bold in new[] { false, true })
        {
            // Resolved from the shipped file, not from whatever the machine has installed.
            var typeface = ScottPlot.Fonts.FontResolvers.Select(r => r.CreateTypeface(SpDnn.Cli.Reporting.PlotFonts.Family, bold, false)).FirstOrDefault(t => t is not null);
            Assert.NotNull(typeface);
            Assert.Equal("DejaVu Sans", typeface!.FamilyName);
        }
    }

    [Fact]
    public void ComparesTwoRecordsWithRatios()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliHost.Run("report", Sample, Sample, "--compare", "--out", dir.Path).ExitCode);
        string md = File.ReadAllText(dir.File("comparison.md"));
        Assert.Contains("| 1024 x 120 | reference | 2.5 | 2.5 | 0.002 | 0.002 | 1.00x |", md);
    }

    [Fact]
    public void ABrokenRecordIsBadInput()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), "{\n \"schema\": \"spdnn-bench/1\",\n \"date\": 12,\n}");
        Assert.Equal(CliRunner.ExitBadInput, CliHost.Run("report", dir.File("bad.json"), "--out", dir.File("out")).ExitCode);
        Assert.False(Directory.Exists(dir.File("out")) && Directory.EnumerateFileSystemEntries(dir.File("out")).Any());
    }

    /// <summary>Reads a PNG's signature and IHDR to prove it is a real image.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} is not a PNG");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int w = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        int h = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        return (w, h);
    }
}
