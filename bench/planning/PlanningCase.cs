using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Bench.Planning;

/// <summary>One layer to plan: a challenge layer of a permuted block, or a random general layer with uneven rows.</summary>
public sealed record PlanningCase(string Name, ILayerSource Source, int LayerIndex)
{
    /// <summary>The cases the benchmark runs, by name: challenge-65536, challenge-16384, random-16384.</summary>
    public static readonly string[] Names = ["challenge-65536", "challenge-16384", "random-16384"];

    public static PlanningCase Create(string name)
    {
        switch (name)
        {
            case "challenge-65536":
            case "challenge-16384":
                int n = int.Parse(name["challenge-".Length..]);
                // Stage 3 of the first permuted block: rows are scattered, as in all but the first S layers.
                int k = ChallengeNetworkGenerator.StagesPerBlock(n) + 3;
                return new PlanningCase(name, new ChallengeNetworkGenerator(n, k + 1), k);
            case "random-16384":
                var options = new RandomNetworkOptions { Neurons = 16384, Layers = 1, MeanRowNonZeros = 32, EmptyRowFraction = 0.05 };
                return new PlanningCase(name, new RandomNetworkGenerator(seed: 1, options), 0);
            default:
                throw new ArgumentException($"Unknown case '{name}'; known: {string.Join(", ", Names)}.");
        }
    }

    public NetworkLayer GetLayer() => Source.GetLayer(LayerIndex);

    public override string ToString() => Name;
}
