using System.Buffers;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Places a resident-input stage's inputs so that the lanes of one shared-memory read find them
/// on different banks. A warp row of the resident-input layout has each lane read one staged
/// input (a random one, in a general layer); the read is served in phases of
/// <c>classes</c> lanes (the warp for 4-byte reads, half or a quarter of it for 8- and 16-byte
/// ones), and within a phase two lanes conflict when their inputs' positions are equal mod
/// <c>classes</c> (the tile's pitch times the position then falls on the same bank, or 16-byte
/// bank group). Random positions give a phase ~2.4 (8 lanes) to ~3.5 (32 lanes) reads for one.
/// This assigns each input a class greedily, most-read inputs first: the class that least adds
/// to the phases it is read in (the cube of the count already there, so a crowded class is
/// avoided first), among the classes with positions left. The order of every sum is untouched:
/// only where the stage keeps an input changes; the kernel stages input Order[p] at position p.
/// </summary>
internal static class StageBankOrder
{
    /// <summary>
    /// Positions for the <paramref name="inputs"/> inputs read by the warp rows of
    /// <paramref name="slotIndex"/> (32 lanes a row; slots with index 0 and weight +0, the
    /// padding, do not count): fills <paramref name="positionOf"/> (input to position) and
    /// returns the inverse (position to input), which the kernel stages by.
    /// </summary>
    /// <param name="classes">Lanes of a read phase, and bank classes among them: 8, 16 or 32.</param>
    public static int[] Order(ReadOnlySpan<ushort> slotIndex, ReadOnlySpan<float> slotValue, int inputs, int classes, Span<int> positionOf)
    {
        if (classes is not (8 or 16 or 32)) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Read phases have 8, 16 or 32 lanes.");
        if (positionOf.Length < inputs) throw new ArgumentException("One position per input.", nameof(positionOf));
        long phases = slotIndex.Length / classes;
        // The phases each input is read in, as lists (an input read twice in a phase is one read: a broadcast).
        var readCounts = new int[inputs + 1];
        var lastPhase = ArrayPool<long>.Shared.Rent(inputs);
        try
        {
            lastPhase.AsSpan(0, inputs).Fill(-1);
            for (long s = 0; s < slotIndex.Length; s++)
            {
                int input = slotIndex[(int)s];
                if (IsPadding(input, slotValue[(int)s]) || input >= inputs) continue;
                long phase = s / classes;
                if (lastPhase[input] == phase) continue;
                lastPhase[input] = phase;
                readCounts[input + 1]++;
            }
            for (int i = 0; i < inputs; i++) readCounts[i + 1] += readCounts[i];
            var phaseOf = new int[readCounts[inputs]];
            var cursor = readCounts.AsSpan(0, inputs).ToArray();
            lastPhase.AsSpan(0, inputs).Fill(-1);
            for (long s = 0; s < slotIndex.Length; s++)
            {
                int input = slotIndex[(int)s];
                if (IsPadding(input, slotValue[(int)s]) || input >= inputs) continue;
                long phase = s / classes;
                if (lastPhase[input] == phase) continue;
                lastPhase[input] = phase;
                phaseOf[cursor[input]++] = checked((int)phase);
            }

            // Most-read inputs first (they are the hardest to place); ties by input, so the order is the same every run.
            var byReads = new int[inputs];
            var keys = new long[inputs];
            for (int i = 0; i < inputs; i++)
            {
                byReads[i] = i;
                keys[i] = -((long)(readCounts[i + 1] - readCounts[i]) << 32) + i;
            }
            Array.Sort(keys, byReads);

            var counts = new byte[checked(phases * classes)];
            var left = new int[classes];
            for (int c = 0; c < classes; c++) left[c] = (inputs - c + classes - 1) / classes;
            var classOf = new int[inputs];
            Span<long> cost = stackalloc long[classes];
            foreach (int input in byReads)
            {
                cost.Clear();
                for (int r = readCounts[input]; r < readCounts[input + 1]; r++)
                {
                    int at = phaseOf[r] * classes;
                    for (int c = 0; c < classes; c++)
                    {
                        long v = counts[at + c];
                        cost[c] += v * v * v + v;
                    }
                }
                int best = -1;
                for (int c = 0; c < classes; c++)
                    if (left[c] > 0 && (best < 0 || cost[c] < cost[best] || (cost[c] == cost[best] && left[c] > left[best]))) best = c;
                classOf[input] = best;
                left[best]--;
                for (int r = readCounts[input]; r < readCounts[input + 1]; r++)
                {
                    int at = phaseOf[r] * classes + best;
                    if (counts[at] < byte.MaxValue) counts[at]++;
                }
            }

            // Class c's inputs, ascending, at positions c, c + classes, ...
            var order = new int[inputs];
            var next = new int[classes];
            for (int c = 0; c < classes; c++) next[c] = c;
            for (int i = 0; i < inputs; i++)
            {
                int p = next[classOf[i]];
                next[classOf[i]] += classes;
                order[p] = i;
                positionOf[i] = p;
            }
            return order;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(lastPhase);
        }
    }

    /// <summary>
    /// Reads a phase of <paramref name="classes"/> lanes takes, added over the warp rows of
    /// <paramref name="slotIndex"/> with the inputs at <paramref name="positionOf"/> (null: input
    /// i at position i): the shared-memory cost the order lowers (the least is one read a phase).
    /// </summary>
    public static long PhaseReads(ReadOnlySpan<ushort> slotIndex, ReadOnlySpan<float> slotValue, int classes, ReadOnlySpan<int> positionOf = default)
    {
        long total = 0;
        Span<int> seen = stackalloc int[32];
        Span<int> load = stackalloc int[32];
        for (int start = 0; start + classes <= slotIndex.Length; start += classes)
        {
            load[..classes].Clear();
            int distinct = 0, most = 0;
            for (int l = 0; l < classes; l++)
            {
                int input = slotIndex[start + l];
                if (IsPadding(input, slotValue[start + l])) continue;
                int p = positionOf.IsEmpty ? input : positionOf[input];
                if (seen[..distinct].Contains(p)) continue;
                seen[distinct++] = p;
                most = Math.Max(most, ++load[p % classes]);
            }
            total += Math.Max(1, most);
        }
        return total;
    }

    private static bool IsPadding(int input, float weight) => input == 0 && BitConverter.SingleToInt32Bits(weight) == 0;
}
