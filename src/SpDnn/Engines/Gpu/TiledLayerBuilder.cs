using System.Buffers;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Lays out a layer block after block, in pooled buffers: each block's footprint, stages, warp
/// rows and slots are made in one visit of its outputs, while their input lists are in cache.
/// The totals are known only at the end, when the layout is copied into a <see cref="TiledLayer"/>.
/// </summary>
internal sealed class TiledLayerBuilder : IDisposable
{
    private const int StageShift = 9;   // log2(StageEntries)
    private const int LaneBits = 5;     // log2(WarpSize)
    private const int Warps = TiledLayout.WarpsPerBlock;

    private readonly OutputInputLists _lists;
    private readonly BlockFootprint _footprints;
    private readonly int _layerNumber;
    private readonly int[] _blockStages;
    private int[] _footprint, _stageStarts, _warpRows, _longest, _position, _entryPositions;
    private ushort[] _slotIndex;
    private float[] _slotValue;
    private int _blocks, _footprintLength, _stageCount;
    private long _computedEntries;

    /// <param name="lists">The layer's transpose.</param>
    /// <param name="blocks">Blocks the layer will have.</param>
    /// <param name="layerNumber">1-based, for messages.</param>
    public TiledLayerBuilder(OutputInputLists lists, int blocks, long nonZeros, int layerNumber)
    {
        _lists = lists;
        _layerNumber = layerNumber;
        int n = lists.InputCount;
        // A block's footprint holds at most min(n, its nonzeros) inputs, all blocks' at most the
        // layer's nonzeros, and each block has at most one partly filled stage.
        int entries = (int)nonZeros;
        int maxStages = blocks + entries / TiledLayout.StageEntries;
        _footprints = new BlockFootprint(n);
        _blockStages = new int[blocks + 1];
        _footprint = ArrayPool<int>.Shared.Rent(entries);
        _stageStarts = ArrayPool<int>.Shared.Rent(maxStages + 1);
        _warpRows = ArrayPool<int>.Shared.Rent(maxStages * Warps + 1);
        _longest = ArrayPool<int>.Shared.Rent((n + TiledLayout.StageEntries - 1) / TiledLayout.StageEntries * Warps);
        _position = ArrayPool<int>.Shared.Rent(n);
        _entryPositions = ArrayPool<int>.Shared.Rent(TiledLayout.BlockRows * 64);
        _slotIndex = ArrayPool<ushort>.Shared.Rent(Math.Max(4096, entries + entries / 2));
        _slotValue = ArrayPool<float>.Shared.Rent(_slotIndex.Length);
        _stageStarts[0] = 0;
        _warpRows[0] = 0;
    }

    /// <summary>Lays out the next block, whose threads compute <paramref name="outputs"/> (at most BlockRows).</summary>
    public void AddBlock(ReadOnlySpan<int> outputs)
    {
        // Footprint: the block's distinct inputs, ascending, cut into stages.
        foreach (int output in outputs) _footprints.Add(_lists.Entries(output));
        int footBase = _footprintLength;
        int footLength = _footprints.Drain(_footprint.AsSpan(footBase), _position);
        _footprintLength += footLength;
        int stages = (footLength + TiledLayout.StageEntries - 1) >> StageShift;
        int firstStage = _stageCount;
        _blockStages[_blocks + 1] = _blockStages[_blocks] + stages;
        _blocks++;

        var longest = _longest.AsSpan(0, stages * Warps);
        var entryPositions = CountWarpRows(outputs, longest);
        for (int s = 0; s < stages; s++)
        {
            _stageCount++;
            _stageStarts[_stageCount] = footBase + Math.Min(footLength, (s + 1) << StageShift);
            for (int wp = 0; wp < Warps; wp++)
            {
                int row = _stageCount * Warps - Warps + wp;
                _warpRows[row + 1] = _warpRows[row] + longest[s * Warps + wp];
            }
        }
        FillSlots(outputs, entryPositions, _warpRows.AsSpan(firstStage * Warps, stages * Warps + 1));
    }

    /// <summary>
    /// Sets longest[s * Warps + warp] to the most entries any lane of the warp has in stage s, and
    /// returns each entry's footprint position, in block order, for the fill.
    /// </summary>
    private ReadOnlySpan<int> CountWarpRows(ReadOnlySpan<int> outputs, Span<int> longest)
    {
        longest.Clear();
        int blockEntries = 0;
        foreach (int output in outputs) blockEntries += _lists.Length(output);
        _computedEntries += blockEntries;
        if (blockEntries > _entryPositions.Length) _entryPositions = Replace(_entryPositions, blockEntries);
        var entryPositions = _entryPositions.AsSpan(0, blockEntries);
        var position = _position;
        for (int local = 0, entry = 0; local < outputs.Length; local++)
        {
            int wp = local >> LaneBits;
            var inputs = _lists.Entries(outputs[local]);
            // Inputs ascend and so do their footprint positions: count each stage's run.
            for (int e = 0; e < inputs.Length;)
            {
                int pos = position[inputs[e].Input];
                int s = pos >> StageShift, stageEnd = (s + 1) << StageShift, runStart = e;
                do
                {
                    entryPositions[entry++] = pos;
                    if (++e == inputs.Length) break;
                    pos = position[inputs[e].Input];
                }
                while (pos < stageEnd);
                ref int most = ref longest[s * Warps + wp];
                most = Math.Max(most, e - runStart);
            }
        }
        return entryPositions;
    }

    /// <summary>Writes the block's slots: lane-interleaved, padding 0.</summary>
    /// <param name="blockWarpRows">The block's stages' warp row starts, and the end.</param>
    private void FillSlots(ReadOnlySpan<int> outputs, ReadOnlySpan<int> entryPositions, ReadOnlySpan<int> blockWarpRows)
    {
        long slotEnd = (long)blockWarpRows[^1] * TiledLayout.WarpSize;
        if (slotEnd > Array.MaxLength) throw new NotSupportedException($"Layer {_layerNumber} needs more than {Array.MaxLength} slots, more than one array holds.");
        int slotStart = blockWarpRows[0] << LaneBits;
        if (slotEnd > _slotIndex.Length)
        {
            int capacity = (int)Math.Min(Array.MaxLength, Math.Max(slotEnd, 2L * _slotIndex.Length));
            _slotIndex = Grow(_slotIndex, slotStart, capacity);
            _slotValue = Grow(_slotValue, slotStart, capacity);
        }
        // Cleared here, just before they are filled, rather than in a pass of their own.
        var slotIndex = _slotIndex.AsSpan(slotStart, (int)slotEnd - slotStart);
        var slotValue = _slotValue.AsSpan(slotStart, (int)slotEnd - slotStart);
        slotIndex.Clear();
        slotValue.Clear();
        for (int local = 0, entry = 0; local < outputs.Length; local++)
        {
            int wp = local >> LaneBits, lane = local & (TiledLayout.WarpSize - 1);
            var entries = _lists.Entries(outputs[local]);
            int stage = -1, slot = 0;
            foreach (var e in entries)
            {
                int pos = entryPositions[entry++];
                int s = pos >> StageShift;
                if (s != stage)
                {
                    stage = s;
                    slot = ((blockWarpRows[s * Warps + wp] - blockWarpRows[0]) << LaneBits) + lane;
                }
                slotIndex[slot] = (ushort)(pos & (TiledLayout.StageEntries - 1));
                slotValue[slot] = e.Weight;
                slot += TiledLayout.WarpSize;
            }
        }
    }

    /// <summary>The layout of the blocks added, in arrays of their own.</summary>
    /// <param name="threadOutputs">Output (representative) of each block thread; -1: idle.</param>
    /// <param name="copyStarts">Per thread (and one past the last), where its copies start in <paramref name="copies"/>.</param>
    /// <param name="copies">Outputs equal to their thread's representative (<see cref="DuplicateOutputs"/>).</param>
    public TiledLayer ToTiledLayer(int[] threadOutputs, int[] copyStarts, int[] copies, NetworkLayer layer)
    {
        int warpRows = _stageCount * Warps + 1;
        int slots = _warpRows[warpRows - 1] << LaneBits;
        return new TiledLayer
        {
            Neurons = _lists.Count,
            Outputs = threadOutputs,
            CopyStarts = copyStarts,
            Copies = copies,
            BlockStages = _blockStages,
            StageStarts = Copy<int>(_stageStarts.AsSpan(0, _stageCount + 1)),
            Footprint = Copy<int>(_footprint.AsSpan(0, _footprintLength)),
            WarpRows = Copy<int>(_warpRows.AsSpan(0, warpRows)),
            SlotIndex = Copy<ushort>(_slotIndex.AsSpan(0, slots)),
            SlotValue = Copy<float>(_slotValue.AsSpan(0, slots)),
            Bias = layer.Bias,
            Inputs = layer.Inputs,
            Form = layer.Form,
            NonZeros = layer.Weights.NonZeros,
            ComputedNonZeros = _computedEntries,
        };
    }

    /// <summary>A copy in a new array that is not cleared first (every entry is written).</summary>
    private static T[] Copy<T>(ReadOnlySpan<T> source)
    {
        var copy = GC.AllocateUninitializedArray<T>(source.Length);
        source.CopyTo(copy);
        return copy;
    }

    /// <summary>A larger pooled buffer holding the first <paramref name="used"/> entries of <paramref name="buffer"/>, which goes back to the pool.</summary>
    private static T[] Grow<T>(T[] buffer, int used, int capacity)
    {
        var larger = ArrayPool<T>.Shared.Rent(capacity);
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<T>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>A larger pooled buffer, contents not kept, in place of <paramref name="buffer"/>, which goes back to the pool.</summary>
    private static T[] Replace<T>(T[] buffer, int capacity)
    {
        var larger = ArrayPool<T>.Shared.Rent(capacity);
        ArrayPool<T>.Shared.Return(buffer);
        return larger;
    }

    public void Dispose()
    {
        _footprints.Dispose();
        ArrayPool<int>.Shared.Return(_footprint);
        ArrayPool<int>.Shared.Return(_stageStarts);
        ArrayPool<int>.Shared.Return(_warpRows);
        ArrayPool<int>.Shared.Return(_longest);
        ArrayPool<int>.Shared.Return(_position);
        ArrayPool<int>.Shared.Return(_entryPositions);
        ArrayPool<ushort>.Shared.Return(_slotIndex);
        ArrayPool<float>.Shared.Return(_slotValue);
        _footprint = _stageStarts = _warpRows = _longest = _position = _entryPositions = [];
        _slotIndex = [];
        _slotValue = [];
    }
}
