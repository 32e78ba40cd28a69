using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Formats;
using SpDnn.Generation;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Cli;

/// <summary>A small random network (TSV folder), images and the reference engine's truth, on disk.</summary>
public sealed class CliFixture : IDisposable
{
    public const float Bias = -0.5f;
    public const int Neurons = 64;
    public const int Layers = 6;

    private readonly TempDirectory _dir = new();

    public CliFixture()
    {
        var generated = new RandomNetworkGenerator(21, new RandomNetworkOptions
        {
            Neurons = Neurons,
            Layers = Layers,
            MeanRowNonZeros = 8,
            DyadicValues = true,
            MinWeight = -1f,
            MaxWeight = 1f,
        });
        Network = new InMemoryNetwork([.. Enumerable.Range(0, Layers)
            .Select(k => generated.GetLayer(k) with { Bias = NetworkLayer.ConstantBias(Neurons, Bias) })]);
        Images = RandomNetworkGenerator.RandomImages(5, 80, Neurons, 0.15, 1f, binary: true);
        NetworkPath = Path.Combine(_dir.Path, "neuron64");
        NetworkWriter.Write(Network, NetworkPath, StorageFormat.Tsv);
        ImagesPath = _dir.File("sparse-images-64.tsv");
        TsvImageWriter.Write(Images, ImagesPath);
        Expected = new ReferenceEngine().Infer(Network, Images);
        TruthPath = _dir.File("truth.tsv");
        CategoriesFile.Write(TruthPath, Expected.Categories);
    }

    public InMemoryNetwork Network { get; }
    public ImageBatch Images { get; }
    public InferenceResult Expected { get; }
    public string NetworkPath { get; }
    public string ImagesPath { get; }
    public string TruthPath { get; }
    public string Folder => _dir.Path;

    /// <summary>A fresh path in a folder of its own (so tests can check that nothing is left there).</summary>
    public string NewOutput(string name)
    {
        var folder = Path.Combine(_dir.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    public void Dispose() => _dir.Dispose();
}
