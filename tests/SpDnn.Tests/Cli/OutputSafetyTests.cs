using System.Diagnostics;
using System.Runtime.InteropServices;
using SpDnn.Formats;
using SpDnn.Tests.Distributed;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

/// <summary>Outputs never replace inputs, and temporaries do not outlive a run stopped by a signal or killed.</summary>
public class OutputSafetyTests(CliFixture data) : IClassFixture<CliFixture>
{
    private string[] Infer(params string[] extra) => ["infer", "--network", data.NetworkPath, "--images", data.ImagesPath, "--bias", "-0.5", .. extra];

    [Fact]
    public void CategoriesAreNeverWrittenOverTheImagesOrTheTruth()
    {
        var images = File.ReadAllBytes(data.ImagesPath);
        var truth = File.ReadAllBytes(data.TruthPath);
        var run = CliHost.Run(Infer("--categories-out", data.ImagesPath));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--categories-out {data.ImagesPath} is the --images input", run.Error);
        run = CliHost.Run(Infer("--truth", data.TruthPath, "--categories-out", data.TruthPath));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the --truth input", run.Error);
        Assert.Equal(images, File.ReadAllBytes(data.ImagesPath));
        Assert.Equal(truth, File.ReadAllBytes(data.TruthPath));
    }

    [Fact]
    public void ALinkToAnInputIsTheInput()
    {
        if (OperatingSystem.IsWindows()) return; // symbolic links need privileges there
        var link = data.NewOutput("link-to-images.tsv");
        File.CreateSymbolicLink(link, data.ImagesPath);
        var images = File.ReadAllBytes(data.ImagesPath);
        var run = CliHost.Run(Infer("--categories-out", link));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the --images input", run.Error);
        // A linked folder above the input counts too.
        var folderLink = data.NewOutput("linked-folder");
        Directory.CreateSymbolicLink(folderLink, Path.GetDirectoryName(data.ImagesPath)!);
        run = CliHost.Run(Infer("--categories-out", Path.Combine(folderLink, Path.GetFileName(data.ImagesPath))));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(images, File.ReadAllBytes(data.ImagesPath));
        Assert.True(new FileInfo(link).LinkTarget is not null, "the link itself is left alone");
    }

    [Fact]
    public void ConvertAndReportRefuseToReplaceTheirInput()
    {
        var copy = data.NewOutput("images.tsv");
        File.Copy(data.ImagesPath, copy);
        var run = CliHost.Run("convert", "--input", copy, "--output", copy, "--to", "tsv");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--output", run.Error);
        Assert.Equal(File.ReadAllBytes(data.ImagesPath), File.ReadAllBytes(copy));

        var record = data.NewOutput("run.json");
        File.Copy(Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Reporting", "sample-record.json"), record);
        run = CliHost.Run("report", record, "--out", Path.GetDirectoryName(record)!);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the record input", run.Error);
    }

    [Fact]
    public void StaleTemporariesOfDeadProcessesGoAndReadersNeverSeeThem()
    {
        using var dir = new TempDirectory();
        var target = dir.File("n48-l1.tsv");
        int dead = DeadProcessId();
        var stale = dir.File($".n48-l1.tsv.{dead}.0123456789abcdef.tmp");
        var live = dir.File($".n48-l1.tsv.{Environment.ProcessId}.fedcba9876543210.tmp");
        File.WriteAllText(stale, "1\t1\t1\n");
        File.WriteAllText(live, "1\t1\t1\n");
        // A reader of the folder ignores them.
        var layer = Formats.FormatTestData.Network(layers: 1).GetLayer(0).Weights;
        TsvLayerWriter.Write(layer, target);
        Assert.False(File.Exists(stale), "a dead process's temporary is removed by the next write of its target");
        Assert.True(File.Exists(live), "a running process's temporary is left to it");
        var network = NetworkLoader.Open(dir.Path, bias: -0.3f);
        Assert.Equal(1, network.LayerCount);
        Assert.True(layer.ContentEquals(network.GetLayer(0).Weights));
    }

    [Fact]
    public void SigtermRemovesTheTemporaryOfAnOutputBeingWritten()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDirectory();
        var output = dir.File("out");
        // 65536 neurons: each layer takes a while to write, so the run is caught mid-write; 400
        // layers (~40 s on a quiet machine, killed after ~1 s): with 40 a quiet machine finished in
        // ~4 s, and the signal could land in the runtime's shutdown (exit 134, not 143).
        var run = CliProcess.Run(["generate", "network", "--neurons", "65536", "--layers", "400", "--format", "tsv", "--out", output],
            timeout: TimeSpan.FromSeconds(120), whileRunning: process =>
            {
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromSeconds(90) && !(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any()))
                    Thread.Sleep(50);
                Assert.NotEmpty(Directory.EnumerateFileSystemEntries(output));
                // A moment more, so that a loaded machine has run the process past its start-up
                // (where the signal handlers are installed) too.
                Thread.Sleep(1000);
                Assert.Equal(0, Kill(process.Id, 15));
            });
        Assert.Equal(128 + 15, run.ExitCode);
        Assert.Contains("stopped by SIGTERM", run.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    private static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? "cmd" : "true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    [DllImport("libc.so.6", EntryPoint = "kill", SetLastError = true)] // glibc's soname: "libc" alone needs the development package
    private static extern int Kill(int processId, int signal);
}
