namespace SpDnn.Model;

/// <summary>Constants of the Sparse DNN Graph Challenge.</summary>
public static class ChallengeSpec
{
    /// <summary>Activations are capped at this value after the ReLU.</summary>
    public const float YMax = 32f;

    /// <summary>Nonzeros per row and per column of every challenge layer.</summary>
    public const int ConnectionsPerNeuron = 32;

    /// <summary>Every challenge weight is 1/16.</summary>
    public const float Weight = 0.0625f;

    /// <summary>Images in the official input set.</summary>
    public const int OfficialImageCount = 60000;

    /// <summary>The four network widths the challenge defines (N).</summary>
    public static IReadOnlyList<int> NeuronCounts { get; } = [1024, 4096, 16384, 65536];
    /// <summary>The three depths the challenge defines (L).</summary>
    public static IReadOnlyList<int> LayerCounts { get; } = [120, 480, 1920];

    /// <summary>Whether the challenge defines a network (and so a bias and truth) of this width.</summary>
    public static bool IsChallengeSize(int neurons) => NeuronCounts.Contains(neurons);

    /// <summary>The challenge's constant bias for a network of <paramref name="neurons"/> neurons.</summary>
    public static float Bias(int neurons) => neurons switch
    {
        1024 => -0.30f,
        4096 => -0.35f,
        16384 => -0.40f,
        65536 => -0.45f,
        _ => throw new ArgumentOutOfRangeException(nameof(neurons), neurons,
            "The challenge defines a bias only for 1024, 4096, 16384 and 65536 neurons; give one explicitly."),
    };

    /// <summary>Official survivor counts (the truth files' line counts); the same for every L.</summary>
    public static int Survivors(int neurons) => neurons switch
    {
        1024 => 1812,
        4096 => 1801,
        16384 => 1918,
        65536 => 1994,
        _ => throw new ArgumentOutOfRangeException(nameof(neurons), neurons, "Not a challenge size."),
    };
}
