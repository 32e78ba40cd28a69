using System.Buffers;
using System.Numerics;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// A layer's transpose in pooled buffers: for each output neuron its inputs in the order its sum
/// adds them (ascending, except in a layer rewritten for distinct rows), each with
/// its weight. The planner only reads it, so it need not be a <see cref="CsrMatrix"/> of fresh
/// arrays (16 MB per N=65536 challenge layer); dispose to give the buffers back.
/// <para>
/// An input and its weight share a cache line: the scatter touches one line per entry, not two,
/// and the planner reads an output's weights with its inputs. The lists are stored in rows, one
/// per output: by output, or, grouped, by first input (then by output), so that outputs the
/// clustered order puts in one block, which share their first inputs, lie side by side.
/// </para>
/// <para>
/// Where the layer's source gave its weights by output (<see cref="NetworkLayer.ByOutput"/>: the
/// generators), each output's list is copied from there into its row instead: no scatter.
/// </para>
/// </summary>
internal sealed class OutputInputLists : IDisposable
{
    private int[] _rowStarts;   // row r holds entries [_rowStarts[r], _rowStarts[r + 1])
    private Entry[] _entries;
    private int[] _rowOf;       // output -> row
    private int[] _outputAt;    // row -> output
    private int[] _groupStarts; // grouped: see GroupStarts

    /// <summary>The lists of a layer: from <see cref="NetworkLayer.ByOutput"/> where its source gave it (a copy), else by transposing its weights.</summary>
    public OutputInputLists(NetworkLayer layer, bool groupByFirstInput)
        : this(layer.Weights, layer.ByOutput, groupByFirstInput)
    {
    }

    /// <summary>The lists of <paramref name="weights"/> (rows: inputs), by transposing them.</summary>
    public OutputInputLists(CsrMatrix weights, bool groupByFirstInput)
        : this(weights, byOutput: null, groupByFirstInput)
    {
    }

    private OutputInputLists(CsrMatrix weights, CsrMatrix? byOutput, bool groupByFirstInput)
    {
        Count = weights.Columns;
        InputCount = weights.Rows;
        int n = Count;
        ReadOnlySpan<int> inputOffsets = weights.RowOffsets, columns = weights.ColumnIndices;
        ReadOnlySpan<float> values = weights.Values;
        _rowStarts = ArrayPool<int>.Shared.Rent(n + 1);
        _entries = ArrayPool<Entry>.Shared.Rent(columns.Length);
        _rowOf = ArrayPool<int>.Shared.Rent(n);
        _outputAt = ArrayPool<int>.Shared.Rent(n);
        _groupStarts = ArrayPool<int>.Shared.Rent(groupByFirstInput ? InputCount + 2 : 0);
        var rowOf = _rowOf.AsSpan(0, n);
        var outputAt = _outputAt.AsSpan(0, n);
        var rowStarts = _rowStarts.AsSpan(0, n + 1);
        var entries = _entries.AsSpan(0, columns.Length);

        var cursorBuffer = ArrayPool<int>.Shared.Rent(n);
        try
        {
            // Each output's entry count (in cursor for now) and, grouped, its group (in rowOf for
            // now): its first input plus one, or 0 for an empty list.
            var cursor = cursorBuffer.AsSpan(0, n);
            if (byOutput is not null) CountByOutput(byOutput.RowOffsets, byOutput.ColumnIndices, groupByFirstInput, cursor, rowOf);
            else CountByInput(inputOffsets, columns, groupByFirstInput, cursor, rowOf);
            if (!groupByFirstInput)
            {
                // Row j is output j.
                for (int j = 0; j < n; j++) rowOf[j] = outputAt[j] = j;
                rowStarts[0] = 0;
                for (int j = 0; j < n; j++) rowStarts[j + 1] = rowStarts[j] + cursor[j];
                rowStarts[..n].CopyTo(cursor);
            }
            else
            {
                // A counting sort of the outputs by group, stable: rows by group, then by output.
                var groupStarts = _groupStarts.AsSpan(0, InputCount + 2);
                groupStarts.Clear();
                for (int j = 0; j < n; j++) groupStarts[rowOf[j] + 1]++;
                ToStarts(groupStarts);
                rowStarts[0] = 0;
                for (int j = 0; j < n; j++)
                {
                    int row = groupStarts[rowOf[j] + 1]++;
                    rowOf[j] = row;
                    rowStarts[row + 1] = cursor[j];
                }
                for (int row = 0; row < n; row++) rowStarts[row + 1] += rowStarts[row];
                // Entries go by output, to where the output's row is: no lookup of the row per entry.
                for (int j = 0; j < n; j++)
                {
                    outputAt[rowOf[j]] = j;
                    cursor[j] = rowStarts[rowOf[j]];
                }
            }
            if (byOutput is not null) CopyRows(byOutput, cursor, entries);
            else Scatter(inputOffsets, columns, values, cursor, entries);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(cursorBuffer);
        }
    }

    /// <summary>Entry counts per output of a layer by input, and with <paramref name="grouped"/> each output's group (see the constructor).</summary>
    private static void CountByInput(ReadOnlySpan<int> inputOffsets, ReadOnlySpan<int> columns, bool grouped, Span<int> counts, Span<int> groups)
    {
        counts.Clear();
        if (!grouped)
        {
            foreach (int j in columns) counts[j]++;
            return;
        }
        for (int i = 0; i < inputOffsets.Length - 1; i++)
        {
            for (int p = inputOffsets[i], end = inputOffsets[i + 1]; p < end; p++)
            {
                int j = columns[p];
                if (counts[j]++ == 0) groups[j] = i + 1;
            }
        }
        for (int j = 0; j < counts.Length; j++) if (counts[j] == 0) groups[j] = 0;
    }

    /// <summary><see cref="CountByInput"/> from the lists by output: read off each row's length and first input.</summary>
    private static void CountByOutput(ReadOnlySpan<int> outputOffsets, ReadOnlySpan<int> inputs, bool grouped, Span<int> counts, Span<int> groups)
    {
        for (int j = 0; j < counts.Length; j++)
        {
            int start = outputOffsets[j], count = outputOffsets[j + 1] - start;
            counts[j] = count;
            if (grouped) groups[j] = count == 0 ? 0 : inputs[start] + 1;
        }
    }

    /// <summary>Copies each output's list, (input, weight) interleaved, to entries[cursor[output]..].</summary>
    private static void CopyRows(CsrMatrix byOutput, ReadOnlySpan<int> cursor, Span<Entry> entries)
    {
        ReadOnlySpan<int> offsets = byOutput.RowOffsets, inputs = byOutput.ColumnIndices;
        ReadOnlySpan<float> weights = byOutput.Values;
        for (int j = 0; j < cursor.Length; j++)
        {
            int from = offsets[j], count = offsets[j + 1] - from;
            var row = entries.Slice(cursor[j], count);
            var rowInputs = inputs.Slice(from, count);
            var rowWeights = weights.Slice(from, count);
            for (int e = 0; e < row.Length; e++) row[e] = new Entry(rowInputs[e], rowWeights[e]);
        }
    }

    /// <summary>
    /// Writes each entry of the layer (by input, ascending) as (input, weight) to
    /// entries[cursor[output]++]. In two passes rather than one: writing each entry straight to its
    /// place touches a cache line per entry all over the 16 MB of a 65536-neuron layer, which on a
    /// busy many-core host waits on memory; here the first pass appends each entry, with its
    /// place, to one of (about) 256 buckets of consecutive places (one open cache line each), and
    /// the second moves each bucket's entries within its own few kilobytes. Within a bucket,
    /// entries keep their order, so each output's inputs still ascend.
    /// </summary>
    private static void Scatter(ReadOnlySpan<int> inputOffsets, ReadOnlySpan<int> columns, ReadOnlySpan<float> values, Span<int> cursor, Span<Entry> entries)
    {
        int count = entries.Length;
        if (count == 0) return;
        // A place within its bucket and the input share 32 bits (8-byte entries on the way, not
        // 12): more, smaller buckets where the inputs need more bits (only beyond 2^22 inputs).
        int inputBits = 32 - BitOperations.LeadingZeroCount((uint)Math.Max(0, inputOffsets.Length - 2));
        int shift = Math.Min(32 - inputBits, Math.Max(MinBucketShift, BitOperations.Log2((uint)(count - 1) / MaxBuckets) + 1));
        int buckets = ((count - 1) >> shift) + 1;
        var placedBuffer = ArrayPool<PlacedEntry>.Shared.Rent(count);
        var fillBuffer = ArrayPool<int>.Shared.Rent(buckets);
        try
        {
            // Bucket b holds places [b << shift, (b + 1) << shift): exactly that many entries, so
            // it is filled in the same stretch of placed.
            var placed = placedBuffer.AsSpan(0, count);
            var fill = fillBuffer.AsSpan(0, buckets);
            for (int b = 0; b < buckets; b++) fill[b] = b << shift;
            uint mask = (1u << shift) - 1;
            for (int i = 0; i < inputOffsets.Length - 1; i++)
            {
                uint input = (uint)i << shift;
                for (int p = inputOffsets[i], end = inputOffsets[i + 1]; p < end; p++)
                {
                    int place = cursor[columns[p]]++;
                    placed[fill[place >> shift]++] = new PlacedEntry(input | ((uint)place & mask), values[p]);
                }
            }
            for (int start = 0; start < count; start += 1 << shift)
            {
                var bucket = entries.Slice(start, Math.Min(1 << shift, count - start));
                foreach (var e in placed.Slice(start, bucket.Length))
                    bucket[(int)(e.InputAndOffset & mask)] = new Entry((int)(e.InputAndOffset >> shift), e.Weight);
            }
        }
        finally
        {
            ArrayPool<PlacedEntry>.Shared.Return(placedBuffer);
            ArrayPool<int>.Shared.Return(fillBuffer);
        }
    }

    /// <summary>Most buckets of <see cref="Scatter"/> (more only for inputs of over 22 bits), and the fewest places in one (2^MinBucketShift).</summary>
    private const int MaxBuckets = 256, MinBucketShift = 10;

    /// <summary>An entry on its way: its input above the shift, its place in its bucket below.</summary>
    private readonly record struct PlacedEntry(uint InputAndOffset, float Weight);

    /// <summary>Turns counts at [k + 1] into starts at [k + 1] (see the constructor); [0] stays 0.</summary>
    private static void ToStarts(Span<int> next)
    {
        for (int k = 1, start = 0; k < next.Length; k++)
        {
            int count = next[k];
            next[k] = start;
            start += count;
        }
    }

    /// <summary>Output neurons.</summary>
    public int Count { get; }

    /// <summary>Input neurons: every input is below it.</summary>
    public int InputCount { get; }

    /// <summary>The inputs of <paramref name="output"/>, in the order its sum adds them, with their weights.</summary>
    public ReadOnlySpan<Entry> Entries(int output) => EntriesAtRow(_rowOf[output]);

    /// <summary>How many inputs <paramref name="output"/> has.</summary>
    public int Length(int output) => _rowStarts[_rowOf[output] + 1] - _rowStarts[_rowOf[output]];

    /// <summary>The inputs of the output stored in <paramref name="row"/>.</summary>
    public ReadOnlySpan<Entry> EntriesAtRow(int row) => _entries.AsSpan(_rowStarts[row], _rowStarts[row + 1] - _rowStarts[row]);

    /// <summary>The output stored in <paramref name="row"/>.</summary>
    public int OutputAt(int row) => _outputAt[row];

    /// <summary>
    /// Grouped only: group k, the outputs with first input k - 1 (group 0: no input), is rows
    /// GroupStarts[k] .. GroupStarts[k + 1] - 1 (InputCount + 2 entries).
    /// </summary>
    public ReadOnlySpan<int> GroupStarts => _groupStarts.AsSpan(0, InputCount + 2);

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_rowStarts);
        ArrayPool<Entry>.Shared.Return(_entries);
        ArrayPool<int>.Shared.Return(_rowOf);
        ArrayPool<int>.Shared.Return(_outputAt);
        ArrayPool<int>.Shared.Return(_groupStarts);
        _rowStarts = _rowOf = _outputAt = _groupStarts = [];
        _entries = [];
    }

    internal readonly record struct Entry(int Input, float Weight);
}
