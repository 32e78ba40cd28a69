namespace SpDnn.Tests.Support;

/// <summary>Files of the real models and the MNIST test set that the repository carries.</summary>
public static class ModelTestData
{
    public static string Fixture(string name) => Path.Combine(TestData.RepositoryRoot, "tests", "SpDnn.Tests", "Formats", "Fixtures", name);

    public static string SmallModel => Path.Combine(TestData.RepositoryRoot, "data", "models", "mnist-mlp-300-100-pruned90.onnx");

    public static string TestImages => Path.Combine(TestData.RepositoryRoot, "data", "mnist", "t10k-images-idx3-ubyte.gz");

    public static string TestLabels => Path.Combine(TestData.RepositoryRoot, "data", "mnist", "t10k-labels-idx1-ubyte.gz");
}
