using SpDnn.Model;

namespace SpDnn.Formats;

/// <summary>The bias of a network read from files that do not store one.</summary>
internal static class NetworkBias
{
    /// <summary><paramref name="bias"/> when given, else the challenge's value for N (an error for other sizes).</summary>
    public static float Resolve(string source, int neurons, float? bias)
    {
        if (bias is { } b)
        {
            if (!float.IsFinite(b)) throw new SpDnnDataException(source, $"bias {b} is not a finite number");
            return b;
        }
        if (!ChallengeSpec.IsChallengeSize(neurons))
            throw new SpDnnDataException(source, $"N={neurons} is not a challenge size, so there is no default bias; give one (--bias)");
        return ChallengeSpec.Bias(neurons);
    }
}
