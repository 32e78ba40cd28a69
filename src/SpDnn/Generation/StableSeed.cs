namespace SpDnn.Generation;

/// <summary>
/// Mixes integers into one seed that is the same in every process and on every machine
/// (unlike <see cref="HashCode"/>, which is randomised per process), so "seed 7" always
/// means the same random network.
/// </summary>
internal static class StableSeed
{
    public static int Mix(params ReadOnlySpan<int> parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (int part in parts)
        {
            h ^= (uint)part;
            h *= 0xBF58476D1CE4E5B9UL;   // splitmix64 finaliser steps
            h ^= h >> 31;
            h *= 0x94D049BB133111EBUL;
            h ^= h >> 29;
        }
        return (int)(h ^ (h >> 32));
    }
}
