using SpDnn.Model;

namespace SpDnn.Tests.Support;

/// <summary>
/// Networks whose layers have families of outputs reading one input list: within a family some
/// outputs have another first weight or another bias (they must not merge), one family is larger
/// than the rest, and every fortieth output has no inputs. For tests of engines that compute
/// outputs equal by construction once.
/// </summary>
internal static class DuplicateFamilyNetwork
{
    /// <param name="dyadic">Weights that are multiples of 1/16 (exact products) or general ones.</param>
    /// <param name="families">Distinct input lists per layer.</param>
    /// <param name="listLength">Longest input list.</param>
    public static InMemoryNetwork Create(int neurons, int layers, int seed, bool dyadic, int families = 12, int listLength = 30)
    {
        var rng = new Random(seed);
        int large = neurons * 3 / 20;
        var result = new List<NetworkLayer>();
        for (int k = 0; k < layers; k++)
        {
            var lists = Enumerable.Range(0, families).Select(_ => Enumerable.Range(0, neurons).OrderBy(_ => rng.Next()).Take(2 + rng.Next(listLength)).Order().ToArray()).ToArray();
            var weights = lists.Select(l => l.Select(_ => dyadic ? rng.Next(-8, 16) / 16f : (float)(rng.NextDouble() * 0.5 - 0.1)).Select(v => v == 0f ? 0.5f : v).ToArray()).ToArray();
            var rows = new List<int>();
            var cols = new List<int>();
            var values = new List<float>();
            var bias = new float[neurons];
            for (int j = 0; j < neurons; j++)
            {
                bias[j] = j % 6 == 1 ? 0.125f : -0.25f;
                if (j % 40 == 39) continue;
                int family = j < large ? 0 : j % families;
                for (int e = 0; e < lists[family].Length; e++)
                {
                    rows.Add(lists[family][e]);
                    cols.Add(j);
                    values.Add(j % 4 == 2 && e == 0 ? weights[family][e] * 0.5f : weights[family][e]);
                }
            }
            result.Add(new NetworkLayer(k, CsrMatrix.FromCoordinates(neurons, neurons, [.. rows], [.. cols], [.. values]), bias));
        }
        return new InMemoryNetwork(result);
    }
}
