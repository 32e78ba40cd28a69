using SpDnn.Engines;
using SpDnn.Engines.Reference;
using SpDnn.Formats;
using SpDnn.Formats.Npz;
using SpDnn.Formats.Onnx;
using SpDnn.Model;
using SpDnn.Tests.Support;

namespace SpDnn.Tests.Formats;

/// <summary>General networks through ONNX, .npz and binary version 2 and back: same layers, same answers.</summary>
public class ModelRoundTripTests
{
    /// <summary>A general network ONNX can express: bias always, ReLU / capped ReLU / identity, class read-out.</summary>
    internal static InMemoryNetwork OnnxExpressible(int seed)
    {
        var source = RandomGeneralNetwork.Create(seed, dyadic: false, ReadOut.Class, layers: 4);
        var layers = new List<NetworkLayer>();
        for (int k = 0; k < source.LayerCount; k++)
        {
            var l = source.GetLayer(k);
            var form = l.Form.Activation switch
            {
                Activation.Relu => LayerForm.Relu(BiasMode.Always),
                Activation.CappedRelu => LayerForm.CappedRelu(l.Form.Cap, BiasMode.Always),
                _ => LayerForm.Identity(BiasMode.Always),
            };
            layers.Add(l with { Form = form });
        }
        return new InMemoryNetwork(layers, source.Description, ReadOut.Class);
    }

    internal static void AssertSameLayers(ILayerSource expected, ILayerSource actual)
    {
        Assert.Equal(expected.LayerCount, actual.LayerCount);
        Assert.Equal(expected.Neurons, actual.Neurons);
        Assert.Equal(expected.ReadOut, actual.ReadOut);
        for (int k = 0; k < expected.LayerCount; k++)
        {
            var e = expected.GetLayer(k);
            var a = actual.GetLayer(k);
            Assert.True(e.Weights.ContentEquals(a.Weights), $"layer {k + 1} weights differ");
            Assert.Equal(e.Bias.Select(BitConverter.SingleToInt32Bits), a.Bias.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(e.Form, a.Form);
        }
    }

    [Fact]
    public void OnnxThenNpzThenBinaryKeepsEveryLayerAndPrediction()
    {
        using var dir = new TempDirectory();
        var network = OnnxExpressible(3);
        var images = RandomGeneralNetwork.Images(3, 50, network.Neurons, dyadic: false);
        OnnxModelWriter.Write(network, dir.File("m.onnx"));
        var fromOnnx = OnnxModelReader.Read(dir.File("m.onnx"));
        AssertSameLayers(network, fromOnnx);
        NpzNetworkWriter.Write(fromOnnx, dir.File("m.npz"));
        var fromNpz = NpzNetworkReader.Read(dir.File("m.npz"));
        AssertSameLayers(network, fromNpz);
        BinaryFileWriter.WriteNetwork(fromNpz, dir.File("m.bin"));
        using var fromBinary = new BinaryNetworkSource(dir.File("m.bin"));
        Assert.False(fromBinary.IsChallengeForm);
        Assert.Equal(network.MaxWidth, fromBinary.MaxWidth);
        Assert.Equal(network.Outputs, fromBinary.Outputs);
        AssertSameLayers(network, fromBinary);

        var keep = new InferenceOptions { KeepFinalFeatures = true };
        var expected = new ReferenceEngine().Infer(network, images, keep);
        var actual = new ReferenceEngine().Infer(fromBinary, images, keep);
        Assert.Equal(expected.Classes!, actual.Classes!);
        Assert.Equal(expected.Logits!, actual.Logits!);
    }

    [Fact]
    public void BinaryVersion2KeepsFormsShapesAndReadOutWhileChallengeNetworksStayVersion1()
    {
        using var dir = new TempDirectory();
        var general = RandomGeneralNetwork.Create(5, dyadic: true, ReadOut.NonzeroRows, layers: 5);
        BinaryFileWriter.WriteNetwork(general, dir.File("g.bin"));
        using (var back = new BinaryNetworkSource(dir.File("g.bin")))
        {
            AssertSameLayers(general, back);
            using var file = new BinaryFileReader(dir.File("g.bin"));
            Assert.Equal(BinaryFormat.GeneralVersion, file.Header.Version);
        }
        var challenge = InMemoryNetwork.Load(new SpDnn.Generation.RandomNetworkGenerator(2, new() { Neurons = 64, Layers = 3 }));
        BinaryFileWriter.WriteNetwork(challenge, dir.File("c.bin"));
        using (var file = new BinaryFileReader(dir.File("c.bin"))) Assert.Equal(BinaryFormat.Version, file.Header.Version);
        using var c = new BinaryNetworkSource(dir.File("c.bin"));
        Assert.True(c.IsChallengeForm);
        AssertSameLayers(challenge, c);
    }

    [Fact]
    public void OnnxRefusesWhatItCannotExpress()
    {
        using var dir = new TempDirectory();
        var rows = RandomGeneralNetwork.Create(1, dyadic: true, ReadOut.NonzeroRows);
        Assert.Contains("read-out", Assert.Throws<ArgumentException>(() => OnnxModelWriter.Write(rows, dir.File("a.onnx"))).Message);
        var w = CsrMatrix.FromCoordinates(2, 2, [0], [0], [1f]);
        var revived = new InMemoryNetwork([new NetworkLayer(0, w, [0.5f, 0f]) { Form = LayerForm.Relu(BiasMode.OnNonzeroSum) }], readOut: ReadOut.Class);
        Assert.Contains("only to nonzero sums", Assert.Throws<ArgumentException>(() => OnnxModelWriter.Write(revived, dir.File("b.onnx"))).Message);
        // A negative bias under a ReLU activates to zero: adding it only to nonzero sums is the same as always.
        var same = new InMemoryNetwork([new NetworkLayer(0, w, [-0.5f, 0f]) { Form = LayerForm.Relu(BiasMode.OnNonzeroSum) }], readOut: ReadOut.Class);
        OnnxModelWriter.Write(same, dir.File("c.onnx"));
        Assert.False(File.Exists(dir.File("a.onnx")));
        Assert.False(File.Exists(dir.File("b.onnx")));
    }
}
