namespace SpDnn.Generation;

/// <summary>
/// The classic 32-bit Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998): init_genrand,
/// genrand_int32 and the res53 double. Seeded with 5489 it is the stream the challenge networks
/// were drawn from (MATLAB's default generator): the first double is 0.8147236863931789.
/// Not thread-safe; <see cref="Clone"/> gives an independent copy of the current state.
/// </summary>
internal sealed class MersenneTwister19937
{
    private const int StateSize = 624;
    private const int ShiftSize = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    /// <summary>The seed of MATLAB's default stream and of the reference C code.</summary>
    public const uint DefaultSeed = 5489;

    private readonly uint[] _state = new uint[StateSize];
    private int _next;

    public MersenneTwister19937(uint seed = DefaultSeed)
    {
        _state[0] = seed;
        for (int i = 1; i < StateSize; i++)
            _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        _next = StateSize;
    }

    private MersenneTwister19937(MersenneTwister19937 other)
    {
        other._state.CopyTo(_state, 0);
        _next = other._next;
    }

    /// <summary>An independent generator at the same position of the stream.</summary>
    public MersenneTwister19937 Clone() => new(this);

    /// <summary>The next 32-bit output (genrand_int32).</summary>
    public uint NextUInt32()
    {
        if (_next >= StateSize) Regenerate();
        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>
    /// The integer k in [0, 2^53) behind the next res53 double k / 2^53: (a >> 5) * 2^26 + (b >> 6)
    /// from two 32-bit outputs. Sorting these integers orders the doubles exactly.
    /// </summary>
    public ulong NextRes53Integer()
    {
        ulong a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return a * 67108864ul + b;
    }

    /// <summary>The next double in [0, 1) with 53 random bits (genrand_res53).</summary>
    public double NextDouble() => NextRes53Integer() * (1.0 / 9007199254740992.0);

    /// <summary>Advances the stream past <paramref name="count"/> res53 doubles (two 32-bit outputs each).</summary>
    public void SkipDoubles(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long words = 2 * count;
        while (words > 0)
        {
            if (_next >= StateSize) Regenerate();
            long step = Math.Min(words, StateSize - _next);
            _next += (int)step;
            words -= step;
        }
    }

    private void Regenerate()
    {
        var mt = _state;
        int k = 0;
        for (; k < StateSize - ShiftSize; k++)
        {
            uint y = (mt[k] & UpperMask) | (mt[k + 1] & LowerMask);
            mt[k] = mt[k + ShiftSize] ^ (y >> 1) ^ ((y & 1u) * MatrixA);
        }
        for (; k < StateSize - 1; k++)
        {
            uint y = (mt[k] & UpperMask) | (mt[k + 1] & LowerMask);
            mt[k] = mt[k + (ShiftSize - StateSize)] ^ (y >> 1) ^ ((y & 1u) * MatrixA);
        }
        uint last = (mt[StateSize - 1] & UpperMask) | (mt[0] & LowerMask);
        mt[StateSize - 1] = mt[ShiftSize - 1] ^ (last >> 1) ^ ((last & 1u) * MatrixA);
        _next = 0;
    }
}
