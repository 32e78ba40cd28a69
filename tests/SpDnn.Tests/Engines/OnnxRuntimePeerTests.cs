using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SpDnn.Engines;
using SpDnn.Engines.Cpu;
using SpDnn.Engines.Reference;
using SpDnn.Formats.Idx;
using SpDnn.Formats.Models;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Engines;

/// <summary>
/// The peer check: ONNX Runtime (CPU provider) runs the shipped pruned model on all 10000 MNIST
/// test images, and every SpDnn engine that runs general networks must predict the same class
/// for every image, with logits within float32 rounding of ORT's and the same accuracy. ORT sums
/// in its own order (dense GEMM, fused multiply-adds), so the logits differ in the last bits;
/// the bound is 1e-5 · (1 + |logit|) (measured: at most 1.6e-6, the same for every engine, since they are bit-identical).
/// </summary>
public sealed class OnnxRuntimePeerTests
{
    private const float Tolerance = 1e-5f;

    private static readonly Lazy<(ImageBatch Images, int[] Labels, float[] Logits)> Peer = new(() =>
    {
        var images = IdxFile.ReadImages(ModelTestData.TestImages);
        var labels = IdxFile.ReadLabels(ModelTestData.TestLabels);
        return (images, labels, RunOnnxRuntime(ModelTestData.SmallModel, images));
    });

    public static float[] RunOnnxRuntime(string model, ImageBatch images)
    {
        int n = images.Count, features = images.Neurons;
        var dense = new float[(long)n * features];
        for (int r = 0; r < n; r++)
        {
            var cols = images.Features.RowIndices(r);
            var vals = images.Features.RowValues(r);
            for (int e = 0; e < cols.Length; e++) dense[(long)r * features + cols[e]] = vals[e];
        }
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<float>(dense, [n, features]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), input)]);
        return [.. results.First().AsEnumerable<float>()];
    }

    public static TheoryData<string> Engines => ["reference", "cpu", "cpu:simd=vector256", "cpu:simd=vector128", "cpu:dedupe=off", "cpu:order=layers"];

    [Theory]
    [MemberData(nameof(Engines))]
    public void EveryEngineAgreesWithOnnxRuntimeOnAllTestImages(string name)
    {
        var (images, labels, expected) = Peer.Value;
        var network = ModelFiles.Read(ModelTestData.SmallModel);
        long nonZeros = Enumerable.Range(0, network.LayerCount).Sum(k => network.GetLayer(k).Weights.NonZeros);
        Assert.Equal(0.9, 1 - nonZeros / (double)(784 * 300 + 300 * 100 + 100 * 10), 3); // pruned to 90% zeros
        using var engine = EngineFactory.Create(name);
        var result = engine.Infer(network, images, new InferenceOptions { KeepFinalFeatures = true });
        var logits = result.Logits!;
        Assert.Equal(expected.Length, logits.Length);
        int outputs = network.Outputs, differing = 0;
        float worst = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var ours = logits.AsSpan(i * outputs, outputs);
            var theirs = expected.AsSpan(i * outputs, outputs);
            if (result.Classes![i] != ClassReadOut.Argmax(theirs)) differing++;
            for (int j = 0; j < outputs; j++) worst = MathF.Max(worst, MathF.Abs(ours[j] - theirs[j]) / (1 + MathF.Abs(theirs[j])));
        }
        Assert.True(differing == 0, $"{differing} of {images.Count} images classed differently from ONNX Runtime");
        Assert.True(worst <= Tolerance, $"logits differ from ONNX Runtime's by up to {worst:E2} (relative), more than {Tolerance:E0}");
        int ortCorrect = Enumerable.Range(0, images.Count).Count(i => ClassReadOut.Argmax(expected.AsSpan(i * outputs, outputs)) == labels[i]);
        int ourCorrect = Enumerable.Range(0, images.Count).Count(i => result.Classes![i] == labels[i]);
        Assert.Equal(ortCorrect, ourCorrect);
        Assert.InRange(ourCorrect, 9700, 10000); // the model's accuracy when trained: 97.50%
    }

    [Fact]
    public void TheCpuEngineIsBitIdenticalToTheReferenceOnTheShippedModel()
    {
        var (images, _, _) = Peer.Value;
        var network = ModelFiles.Read(ModelTestData.SmallModel);
        var keep = new InferenceOptions { KeepFinalFeatures = true };
        var expected = new ReferenceEngine().Infer(network, images, keep);
        foreach (var order in new[] { CpuRunOrder.Auto, CpuRunOrder.Layers })
        {
            var actual = new CpuEngine(new CpuEngineOptions { Order = order }).Infer(network, images, keep);
            Assert.Equal(expected.Logits!.Select(BitConverter.SingleToInt32Bits), actual.Logits!.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(order == CpuRunOrder.Auto ? "tiles" : "layers", actual.Details["order"]);
        }
    }

    [Fact]
    public void AModelWrittenBySpDnnRunsInOnnxRuntimeWithTheSameClasses()
    {
        // Through .npz and back to ONNX with sparse initializers: ORT must load and run what OnnxModelWriter writes.
        using var dir = new TempDirectory();
        var (images, _, expected) = Peer.Value;
        var network = ModelFiles.Read(ModelTestData.SmallModel);
        SpDnn.Formats.Npz.NpzNetworkWriter.Write(network, dir.File("m.npz"));
        SpDnn.Formats.Onnx.OnnxModelWriter.Write(ModelFiles.Read(dir.File("m.npz")), dir.File("m.onnx"));
        var slice = images.Slice(0, 2000);
        var again = RunOnnxRuntime(dir.File("m.onnx"), slice);
        for (int i = 0; i < slice.Count; i++)
            Assert.Equal(ClassReadOut.Argmax(expected.AsSpan(i * 10, 10)), ClassReadOut.Argmax(again.AsSpan(i * 10, 10)));
    }
}
