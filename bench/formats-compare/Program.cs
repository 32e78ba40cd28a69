// Reads the same files with whichever SpDnn.dll this was built against (-p:SpDnnDll=..., see the .csproj), to compare
// two builds of the library on one machine in one session: a folder of TSV layers, the same layers gzipped, a tar.gz of
// them (the whole network read on all cores) and a gzipped image file. Prints wall and process CPU medians.
// Usage: dotnet <build>/SpDnn.Bench.FormatsCompare.dll WORK-FOLDER [REPEAT]   (the files are made once in WORK-FOLDER)
using System.Diagnostics;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

string work = args[0];
int repeat = args.Length > 1 ? int.Parse(args[1]) : 5;
int n = 16384, layers = 8;
if (!File.Exists(Path.Combine(work, "done")))
{
    Directory.CreateDirectory(work);
    var network = InMemoryNetwork.Load(new RandomNetworkGenerator(3, new RandomNetworkOptions { Neurons = n, Layers = layers, MeanRowNonZeros = 32, DyadicValues = true }));
    NetworkWriter.Write(network, Path.Combine(work, "tsv"), StorageFormat.Tsv);
    NetworkWriter.Write(network, Path.Combine(work, "gz"), StorageFormat.TsvGz);
    NetworkWriter.Write(network, Path.Combine(work, $"neuron{n}.tar.gz"), StorageFormat.TarGz);
    var images = RandomNetworkGenerator.RandomImages(5, 60000, n, 0.01, 1f, binary: true);
    TsvImageWriter.Write(images, Path.Combine(work, $"sparse-images-{n}.tsv.gz"));
    File.WriteAllText(Path.Combine(work, "done"), "");
}
void Measure(string name, Action action)
{
    action();
    var wall = new List<double>(); var cpu = new List<double>();
    for (int i = 0; i < repeat; i++)
    {
        GC.Collect();
        var p = Process.GetCurrentProcess(); var c0 = p.TotalProcessorTime; var w = Stopwatch.StartNew();
        action();
        w.Stop(); p.Refresh();
        wall.Add(w.Elapsed.TotalSeconds); cpu.Add((p.TotalProcessorTime - c0).TotalSeconds);
    }
    wall.Sort(); cpu.Sort();
    Console.WriteLine($"{name}\t{wall[repeat / 2]:F4}\t{cpu[repeat / 2]:F4}");
}
void ReadAll(string path)
{
    var source = NetworkLoader.Open(path, bias: -0.45f);
    LayerReading.ForEach(source, (k, layer) => { });
    (source as IDisposable)?.Dispose();
}
Measure("tsv folder (8 layers)", () => ReadAll(Path.Combine(work, "tsv")));
Measure("tsv.gz folder (8 layers)", () => ReadAll(Path.Combine(work, "gz")));
Measure("tar.gz (8 layers)", () => ReadAll(Path.Combine(work, $"neuron{n}.tar.gz")));
Measure("images tsv.gz (60000)", () => ImageLoader.Load(Path.Combine(work, $"sparse-images-{n}.tsv.gz"), n));
