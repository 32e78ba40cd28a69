using System.Buffers;
using System.Numerics;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Collects the distinct inputs of one block's outputs and lists them ascending, block after block
/// with the same buffers. Inputs are marked in a bitmap (no sort of every entry, duplicates
/// included, as a list would need); the marked ones are then read off the bitmap in order, or,
/// when they are few next to its width, sorted.
/// </summary>
internal sealed class BlockFootprint : IDisposable
{
    private ulong[] _marks;    // one bit per input neuron
    private int[] _distinct;   // inputs in the order first met
    private int _count;
    private int _lowWord = int.MaxValue, _highWord = -1;

    public BlockFootprint(int inputs)
    {
        int words = (inputs + 63) >> 6;
        _marks = ArrayPool<ulong>.Shared.Rent(words);
        _marks.AsSpan(0, words).Clear();
        _distinct = ArrayPool<int>.Shared.Rent(inputs + 1); // + 1: the store past the last new input
    }

    /// <summary>Adds an output's inputs, in any order, repeats allowed.</summary>
    /// <returns>Whether they never descend (so their footprint positions ascend along the list too).</returns>
    public bool Add(ReadOnlySpan<OutputInputLists.Entry> inputs)
    {
        if (inputs.IsEmpty) return true;
        var marks = _marks;
        var distinct = _distinct;
        int count = _count;
        int previous = 0;
        bool ordered = true;
        foreach (var entry in inputs)
        {
            // No branch on whether the input is new: in blocks of consecutive outputs it is about
            // as often new as not, and mispredictions cost more than the store to keep it.
            int i = entry.Input;
            ref ulong word = ref marks[i >> 6];
            ulong before = word;
            word = before | (1UL << i);
            distinct[count] = i;
            count += (int)(~before >> i) & 1;
            ordered &= i >= previous;
            previous = i;
        }
        _count = count;
        // An ordered list's ends are its lowest and highest inputs; any other needs a look at all.
        int low = inputs[0].Input, high = previous;
        if (!ordered) (low, high) = LowestAndHighest(inputs);
        _lowWord = Math.Min(_lowWord, low >> 6);
        _highWord = Math.Max(_highWord, high >> 6);
        return ordered;
    }

    private static (int Low, int High) LowestAndHighest(ReadOnlySpan<OutputInputLists.Entry> inputs)
    {
        int low = int.MaxValue, high = int.MinValue;
        foreach (var entry in inputs)
        {
            low = Math.Min(low, entry.Input);
            high = Math.Max(high, entry.Input);
        }
        return (low, high);
    }

    /// <summary>
    /// Writes the inputs added since the last call, ascending, to <paramref name="footprint"/>, sets
    /// <paramref name="position"/>[input] to each one's index there, and starts an empty footprint.
    /// </summary>
    /// <returns>How many were written.</returns>
    public int Drain(Span<int> footprint, Span<int> position)
    {
        int count = _count;
        var marks = _marks;
        if ((long)count * (BitOperations.Log2((uint)count) + 1) < _highWord - _lowWord + 1)
        {
            var distinct = _distinct.AsSpan(0, count);
            distinct.Sort();
            for (int k = 0; k < distinct.Length; k++)
            {
                int i = distinct[k];
                marks[i >> 6] = 0;
                footprint[k] = i;
                position[i] = k;
            }
        }
        else
        {
            int k = 0;
            for (int w = _lowWord; w <= _highWord; w++)
            {
                ulong word = marks[w];
                if (word == 0) continue;
                marks[w] = 0;
                for (; word != 0; word &= word - 1)
                {
                    int i = (w << 6) + BitOperations.TrailingZeroCount(word);
                    footprint[k] = i;
                    position[i] = k++;
                }
            }
        }
        _count = 0;
        _lowWord = int.MaxValue;
        _highWord = -1;
        return count;
    }

    public void Dispose()
    {
        ArrayPool<ulong>.Shared.Return(_marks);
        ArrayPool<int>.Shared.Return(_distinct);
        _marks = [];
        _distinct = [];
    }
}
