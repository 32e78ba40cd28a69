// Format benchmark: TSV layer reading in lines/s on a 32·N-line layer (the official layout,
// written by TsvLayerWriter), gzip included, and loading the same layers from the binary format.
// Usage: dotnet run -c Release --project bench/formats [-- --neurons 65536 --layers 8 --repeat 5 --out bench/results]
using System.Text.Json;
using System.Text.Json.Nodes;
using SpDnn.Bench.Formats;
using SpDnn.Formats;
using SpDnn.Model;

var settings = BenchSettings.Parse(args);
string loadBefore = MachineInfo.LoadAverage();
var work = Path.Combine(Path.GetTempPath(), $"spdnn-bench-formats-{Environment.ProcessId}");
Directory.CreateDirectory(work);
try
{
    int n = settings.Neurons;
    Console.Error.WriteLine($"building {settings.Layers} random layers of {n} neurons, 32 per row ...");
    var layers = Enumerable.Range(0, settings.Layers).Select(k => RandomLayers.ThirtyTwoPerRow(n, seed: k)).ToArray();
    var network = new InMemoryNetwork([.. layers.Select((w, k) => new NetworkLayer(k, w, NetworkLayer.ConstantBias(n, -0.45f)))]);
    long lines = layers[0].NonZeros;

    var tsv = Path.Combine(work, LayerFileName.Format(n, 1));
    var gz = tsv + ".gz";
    var bin = Path.Combine(work, "network.bin");
    var writeTsv = Measure.Time(() => TsvLayerWriter.Write(layers[0], tsv), 1, settings.Repeat);
    TsvLayerWriter.Write(layers[0], gz);
    var writeBin = Measure.Time(() => BinaryFileWriter.WriteNetwork(network, bin), 1, Math.Max(1, settings.Repeat / 2));

    // Reading is measured from the page cache: the file was just written.
    var readTsv = Measure.Time(() => TsvLayerReader.Read(tsv, n), 1, settings.Repeat);
    var readGz = Measure.Time(() => TsvLayerReader.Read(gz, n), 1, settings.Repeat);
    if (!TsvLayerReader.Read(tsv, n).ContentEquals(layers[0])) throw new InvalidOperationException("TSV round trip differs");

    using var source = new BinaryNetworkSource(bin);
    var loadBin = Measure.Time(() => { for (int k = 0; k < source.LayerCount; k++) source.GetLayer(k); }, 1, settings.Repeat);
    if (!source.GetLayer(0).Weights.ContentEquals(layers[0])) throw new InvalidOperationException("binary round trip differs");
    var openBin = Measure.Time(() => { using var s = new BinaryNetworkSource(bin); s.GetLayer(s.LayerCount - 1); }, 1, settings.Repeat);

    double tsvBytes = new FileInfo(tsv).Length, binBytes = new FileInfo(bin).Length;
    var results = new JsonObject
    {
        ["benchmark"] = "formats",
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["machine"] = MachineInfo.CpuModel(),
        ["cores"] = Environment.ProcessorCount,
        ["commit"] = MachineInfo.Commit(),
        ["runtime"] = Environment.Version.ToString(),
        ["neurons"] = n,
        ["layerLines"] = lines,
        ["tsvBytes"] = tsvBytes,
        ["gzipBytes"] = new FileInfo(gz).Length,
        ["binaryLayers"] = settings.Layers,
        ["binaryBytes"] = binBytes,
        ["repeat"] = settings.Repeat,
        ["tsvReadSeconds"] = readTsv.ToJson(),
        ["tsvReadLinesPerSecond"] = lines / readTsv.Median,
        ["tsvReadLinesPerCpuSecond"] = lines / readTsv.CpuMedian,
        ["tsvReadMegabytesPerSecond"] = tsvBytes / readTsv.Median / 1e6,
        ["tsvGzipReadSeconds"] = readGz.ToJson(),
        ["tsvGzipReadLinesPerSecond"] = lines / readGz.Median,
        ["tsvWriteSeconds"] = writeTsv.ToJson(),
        ["tsvWriteLinesPerSecond"] = lines / writeTsv.Median,
        ["binaryWriteSeconds"] = writeBin.ToJson(),
        ["binaryLoadAllLayersSeconds"] = loadBin.ToJson(),
        ["binaryLoadLinesPerSecond"] = lines * settings.Layers / loadBin.Median,
        ["binaryLoadGigabytesPerSecond"] = binBytes / loadBin.Median / 1e9,
        ["binarySpeedupOverTsv"] = readTsv.Median / (loadBin.Median / settings.Layers),
        ["binaryOpenAndLastLayerSeconds"] = openBin.ToJson(),
        ["loadBefore"] = loadBefore,
        ["loadAfter"] = MachineInfo.LoadAverage(),
    };
    var json = results.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    Console.WriteLine(json);
    if (settings.Output is { } outDir)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "formats.json"), json + "\n");
        File.WriteAllText(Path.Combine(outDir, "formats.md"), Report.Markdown(results));
        Console.Error.WriteLine($"wrote {outDir}/formats.json and formats.md");
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}
