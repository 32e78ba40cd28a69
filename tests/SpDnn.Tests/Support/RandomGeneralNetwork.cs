using SpDnn.Model;

namespace SpDnn.Tests.Support;

/// <summary>
/// Random general networks for engine tests: layers of changing shape, every <see cref="LayerForm"/>
/// (ReLU, capped ReLU, identity; bias always or on nonzero sums), empty rows and columns, and
/// either read-out. Deterministic for a seed.
/// </summary>
public static class RandomGeneralNetwork
{
    /// <param name="dyadic">Weights multiples of 1/4 in [-1, 1], biases of 1/16: sums exact in float32 in any order.</param>
    public static InMemoryNetwork Create(int seed, bool dyadic, ReadOut readOut, int layers = 4)
    {
        var rng = new Random(seed * 7919 + 17);
        int width = 20 + rng.Next(60);
        var list = new List<NetworkLayer>();
        for (int k = 0; k < layers; k++)
        {
            bool last = k == layers - 1;
            int outputs = last ? 3 + rng.Next(10) : 8 + rng.Next(90);
            var form = last ? LayerForm.Identity(rng.Next(4) == 0 ? BiasMode.OnNonzeroSum : BiasMode.Always) : DrawForm(rng);
            list.Add(new NetworkLayer(k, DrawWeights(rng, width, outputs, dyadic), DrawBias(rng, outputs, dyadic)) { Form = form });
            width = outputs;
        }
        return new InMemoryNetwork(list, $"random general network (seed {seed})", readOut);
    }

    private static LayerForm DrawForm(Random rng)
    {
        var bias = rng.Next(3) == 0 ? BiasMode.OnNonzeroSum : BiasMode.Always;
        return rng.Next(5) switch
        {
            0 => LayerForm.CappedRelu(rng.Next(2) == 0 ? 1.5f : 32f, bias),
            1 => LayerForm.Identity(bias),
            _ => LayerForm.Relu(bias),
        };
    }

    private static CsrMatrix DrawWeights(Random rng, int inputs, int outputs, bool dyadic)
    {
        double density = 0.05 + 0.3 * rng.NextDouble();
        var rows = new List<int>();
        var columns = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < inputs; i++)
        {
            if (rng.Next(12) == 0) continue; // an empty row: this input feeds nothing
            for (int j = 0; j < outputs; j++)
            {
                if (rng.NextDouble() >= density) continue;
                float v = dyadic ? (rng.Next(8) + 1) / 4f * (rng.Next(2) == 0 ? -1 : 1) / 2f : (float)(rng.NextDouble() * 2 - 0.9);
                if (v == 0) continue;
                rows.Add(i);
                columns.Add(j);
                values.Add(v);
            }
        }
        return CsrMatrix.FromCoordinates(inputs, outputs, rows.ToArray(), columns.ToArray(), values.ToArray());
    }

    private static float[] DrawBias(Random rng, int outputs, bool dyadic)
    {
        var bias = new float[outputs];
        for (int j = 0; j < outputs; j++)
            bias[j] = dyadic ? (rng.Next(17) - 8) / 16f : (float)(rng.NextDouble() - 0.5);
        return bias;
    }

    /// <summary>Images for a network of <paramref name="features"/> inputs, some rows empty; values multiples of 1/16 when dyadic.</summary>
    public static ImageBatch Images(int seed, int count, int features, bool dyadic)
    {
        var rng = new Random(seed * 31 + 5);
        var rows = new List<int>();
        var columns = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < count; r++)
        {
            if (r % 7 == 3) continue; // an empty image
            for (int j = 0; j < features; j++)
            {
                if (rng.NextDouble() >= 0.3) continue;
                rows.Add(r);
                columns.Add(j);
                values.Add(dyadic ? (rng.Next(32) + 1) / 16f : (float)rng.NextDouble() + 0.01f);
            }
        }
        return new ImageBatch(CsrMatrix.FromCoordinates(count, features, rows.ToArray(), columns.ToArray(), values.ToArray()), $"random images (seed {seed})");
    }
}
