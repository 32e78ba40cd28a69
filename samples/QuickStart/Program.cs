using System.Diagnostics;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;

// The official Sparse DNN Graph Challenge dataset N = 1024, 120 layers through an SpDnn engine, checked
// against the truth: first straight from the generator, then through files as your own data would come.
//   dotnet run -c Release -- [engine]      engine: auto (default: the GPU if any, else the CPU), cpu, gpu,
//                                          reference, or with settings, e.g. cpu:simd=vector256
string engineName = args.Length > 0 ? args[0] : "auto";
const int Neurons = 1024, Layers = 120;

var watch = Stopwatch.StartNew();
ImageBatch images = ChallengeDataCache.Default.Images(Neurons);   // the 60000 official images, made once per machine
int[] truth = ChallengeTruth.TryGet(Neurons, Layers)!;             // the categories they must give
Console.WriteLine($"{images.Count} images ready in {watch.Elapsed.TotalSeconds:F1} s");

using IInferenceEngine engine = EngineFactory.Create(engineName);
using var generated = new ChallengeNetworkGenerator(Neurons, Layers);
bool passed = Check("generated network", engine.Infer(generated, images));

string folder = Directory.CreateTempSubdirectory("spdnn-quickstart-").FullName;
try
{
    string networkFile = Path.Combine(folder, $"neuron{Neurons}.bin");
    string imageFile = Path.Combine(folder, $"sparse-images-{Neurons}.bin");
    NetworkWriter.Write(generated, networkFile, StorageFormat.Binary);   // or .tsv, .mtx, .tar.gz
    ImageWriter.Write(images, imageFile, StorageFormat.Binary);

    using ILayerSource network = NetworkLoader.Open(networkFile);      // holds the file open until disposed
    ImageBatch fromFile = ImageLoader.Load(imageFile, network);        // N from the network
    passed &= Check("network and images from files", engine.Infer(network, fromFile));
}
finally
{
    Directory.Delete(folder, recursive: true);
}

Console.WriteLine(passed ? "PASSED" : "FAILED");
return passed ? 0 : 1;

bool Check(string what, InferenceResult result)
{
    bool equal = result.Categories.AsSpan().SequenceEqual(truth);
    Console.WriteLine($"{what}: {result.Engine}, {result.Categories.Length} categories in {result.InferenceSeconds:F3} s " +
                      $"({result.TeraEdgesPerSecond:F2} TE/s): {(equal ? "equal to the truth" : "NOT the truth")}");
    return equal;
}
