using System.Buffers;
using System.Runtime.InteropServices;
using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Lays out a layer block after block, in pooled buffers: each block's footprint, stages, warp
/// rows and slots are made in one visit of its outputs, while their input lists are in cache.
/// The totals are known only at the end, when the buffers become a <see cref="PooledTiledLayer"/>.
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
    private int[] _stagedIn = [];   // input -> stamp of the last stage it went to (StageInListOrder only)
    private int _stageStamp;
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
        // A block's footprint holds at most its nonzeros inputs (and at most n, unless its stages
        // follow list order: then an input may come again in a later stage), all blocks' at most
        // the layer's nonzeros, and each block has at most one partly filled stage.
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
    /// <param name="outputs">The block's outputs, thread by thread.</param>
    /// <param name="clustered">The same outputs in any order, best with equal input lists side by side (the clustered order).</param>
    public void AddBlock(ReadOnlySpan<int> outputs, ReadOnlySpan<int> clustered)
    {
        // Footprint: the block's distinct inputs, ascending, cut into stages. A list equal to the
        // one before adds nothing (Kronecker-built layers have 16 of each, side by side when clustered).
        var previous = ReadOnlySpan<long>.Empty;
        bool ordered = true;
        foreach (int output in clustered)
        {
            var entries = _lists.Entries(output);
            var asLongs = MemoryMarshal.Cast<OutputInputLists.Entry, long>(entries);
            if (asLongs.SequenceEqual(previous)) continue;
            ordered &= _footprints.Add(entries);
            previous = asLongs;
        }
        int footBase = _footprintLength;
        int footLength = _footprints.Drain(_footprint.AsSpan(footBase), _position);
        int stages = (footLength + TiledLayout.StageEntries - 1) >> StageShift;
        int firstStage = _stageCount;
        if (stages == 1)
        {
            // One stage (Kronecker-built blocks: 16 lists of 32 inputs fill 512 at most): a warp's
            // rows are its longest list, and each entry's stage offset is its footprint position,
            // so each thread adds its entries in list order, whatever that order is.
            _footprintLength += footLength;
            _blockStages[_blocks + 1] = _blockStages[_blocks] + 1;
            _blocks++;
            AddSingleStageBlock(outputs, footBase + footLength);
            return;
        }

        ReadOnlySpan<int> entryPositions;
        if (ordered)
        {
            // Footprint positions never descend along a list: cutting the footprint into stages
            // of StageEntries keeps each list's order.
            entryPositions = CountWarpRows(outputs, _longest.AsSpan(0, stages * Warps));
            for (int s = 0; s < stages; s++) _stageStarts[firstStage + s + 1] = footBase + Math.Min(footLength, (s + 1) << StageShift);
            _footprintLength += footLength;
        }
        else
        {
            // The distinct inputs only told that one stage is too few: stage in list order instead.
            entryPositions = StageInListOrder(outputs, footBase, out stages);
        }
        _blockStages[_blocks + 1] = _blockStages[_blocks] + stages;
        _blocks++;
        for (int s = 0; s < stages; s++)
        {
            _stageCount++;
            for (int wp = 0; wp < Warps; wp++)
            {
                int row = _stageCount * Warps - Warps + wp;
                _warpRows[row + 1] = _warpRows[row] + _longest[s * Warps + wp];
            }
        }
        FillSlots(outputs, entryPositions, _warpRows.AsSpan(firstStage * Warps, stages * Warps + 1));
    }

    /// <summary><see cref="AddBlock"/> for a block whose footprint, ending at <paramref name="footEnd"/>, is one stage.</summary>
    private void AddSingleStageBlock(ReadOnlySpan<int> outputs, int footEnd)
    {
        int firstRow = _stageCount * Warps;
        _stageCount++;
        _stageStarts[_stageCount] = footEnd;
        int blockEntries = 0;
        for (int wp = 0, local = 0; wp < Warps; wp++)
        {
            int longest = 0;
            for (int end = Math.Min(outputs.Length, local + TiledLayout.WarpSize); local < end; local++)
            {
                int length = _lists.Length(outputs[local]);
                longest = Math.Max(longest, length);
                blockEntries += length;
            }
            _warpRows[firstRow + wp + 1] = _warpRows[firstRow + wp] + longest;
        }
        _computedEntries += blockEntries;
        BlockSlots(_warpRows.AsSpan(firstRow, Warps + 1), out var slotIndex, out var slotValue);
        var position = _position;
        int rowBase = _warpRows[firstRow];
        for (int local = 0; local < outputs.Length; local++)
        {
            int wp = local >> LaneBits, lane = local & (TiledLayout.WarpSize - 1);
            int slot = ((_warpRows[firstRow + wp] - rowBase) << LaneBits) + lane;
            foreach (var e in _lists.Entries(outputs[local]))
            {
                slotIndex[slot] = (ushort)position[e.Input];
                slotValue[slot] = e.Weight;
                slot += TiledLayout.WarpSize;
            }
        }
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
            // Inputs never descend, nor do their footprint positions: count each stage's run.
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

    /// <summary>
    /// <see cref="CountWarpRows"/> for a block of several stages with a list that descends
    /// somewhere (cutting its footprint would break the list's order): stage after stage, each
    /// output in turn takes as many of its next entries as the stage holds (an input staged
    /// already takes no new place), so each output's entries fall in non-decreasing stages, one
    /// run each, in list order; an input may be staged in several stages. Writes the stages'
    /// inputs, each stage ascending, from <paramref name="footBase"/>, and their starts.
    /// </summary>
    /// <param name="stages">The block's stages.</param>
    /// <returns>Each entry's stage (of the block) &lt;&lt; StageShift | its offset in that stage, in block order.</returns>
    private ReadOnlySpan<int> StageInListOrder(ReadOnlySpan<int> outputs, int footBase, out int stages)
    {
        Span<int> entryStart = stackalloc int[TiledLayout.BlockRows]; // an output's first entry in block order
        Span<int> next = stackalloc int[TiledLayout.BlockRows];       // its first entry not yet staged
        Span<int> runStart = stackalloc int[TiledLayout.BlockRows];   // its first entry in the current stage
        int count = outputs.Length, blockEntries = 0;
        for (int local = 0; local < count; local++)
        {
            entryStart[local] = blockEntries;
            blockEntries += _lists.Length(outputs[local]);
        }
        next[..count].Clear();
        _computedEntries += blockEntries;
        if (blockEntries > _entryPositions.Length) _entryPositions = Replace(_entryPositions, blockEntries);
        // An output stops short only at a new input that finds its stage full, so every stage but
        // the last holds StageEntries inputs, each read by an entry of it: the constructor's
        // bounds hold (footprints within the nonzeros, stages within maxStages).
        int mostStages = blockEntries / TiledLayout.StageEntries + 1;
        if (mostStages * Warps > _longest.Length) _longest = Replace(_longest, mostStages * Warps);
        if (_stagedIn.Length == 0)
        {
            _stagedIn = ArrayPool<int>.Shared.Rent(_lists.InputCount);
            _stagedIn.AsSpan(0, _lists.InputCount).Clear();
        }
        var entryPositions = _entryPositions.AsSpan(0, blockEntries);
        var stagedIn = _stagedIn;
        var position = _position;
        var footprint = _footprint;
        int stageStart = footBase, left = blockEntries, s = 0;
        for (; left > 0; s++)
        {
            // A stamp per stage marks its inputs: nothing to clear between stages or blocks.
            int stamp = ++_stageStamp, staged = 0;
            var longest = _longest.AsSpan(s * Warps, Warps);
            longest.Clear();
            for (int local = 0; local < count; local++)
            {
                var entries = _lists.Entries(outputs[local]);
                int e = next[local];
                runStart[local] = e;
                for (; e < entries.Length; e++)
                {
                    int i = entries[e].Input;
                    if (stagedIn[i] == stamp) continue;
                    if (staged == TiledLayout.StageEntries) break;
                    stagedIn[i] = stamp;
                    footprint[stageStart + staged++] = i;
                }
                int run = e - runStart[local];
                next[local] = e;
                left -= run;
                ref int most = ref longest[local >> LaneBits];
                most = Math.Max(most, run);
            }
            // Ascending within the stage, as the staging reads like it; then each run's offsets.
            var stage = footprint.AsSpan(stageStart, staged);
            stage.Sort();
            for (int k = 0; k < stage.Length; k++) position[stage[k]] = k;
            for (int local = 0; local < count; local++)
            {
                var entries = _lists.Entries(outputs[local]);
                int at = entryStart[local];
                for (int e = runStart[local]; e < next[local]; e++)
                    entryPositions[at + e] = (s << StageShift) | position[entries[e].Input];
            }
            stageStart += staged;
            _stageStarts[_stageCount + s + 1] = stageStart;
        }
        _footprintLength = stageStart;
        stages = s;
        return entryPositions;
    }

    /// <summary>
    /// Writes the block's slots: lane-interleaved, padding 0. Each output's entries of one stage
    /// are one run (its stages never go back), which fills its lane's rows of that stage in order.
    /// </summary>
    /// <param name="blockWarpRows">The block's stages' warp row starts, and the end.</param>
    private void FillSlots(ReadOnlySpan<int> outputs, ReadOnlySpan<int> entryPositions, ReadOnlySpan<int> blockWarpRows)
    {
        BlockSlots(blockWarpRows, out var slotIndex, out var slotValue);
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

    /// <summary>The block's slots (warp rows <paramref name="blockWarpRows"/>[0] .. [^1] - 1), cleared: padding is 0.</summary>
    private void BlockSlots(ReadOnlySpan<int> blockWarpRows, out Span<ushort> slotIndex, out Span<float> slotValue)
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
        slotIndex = _slotIndex.AsSpan(slotStart, (int)slotEnd - slotStart);
        slotValue = _slotValue.AsSpan(slotStart, (int)slotEnd - slotStart);
        slotIndex.Clear();
        slotValue.Clear();
    }

    /// <summary>
    /// The layout of the blocks added, in the builder's buffers, which pass to it (the builder
    /// then holds none): <paramref name="threadOutputs"/>, <paramref name="copyStarts"/> and
    /// <paramref name="copies"/>, pooled, pass to it too.
    /// </summary>
    /// <param name="threadOutputs">Output (representative) of each block thread; -1: idle (<paramref name="threads"/> used).</param>
    /// <param name="copyStarts">Per thread (and one past the last), where its copies start in <paramref name="copies"/>; empty: no copies.</param>
    /// <param name="copies">Outputs equal to their thread's representative (<see cref="DuplicateOutputs"/>; <paramref name="copyCount"/> used).</param>
    public PooledTiledLayer Finish(int[] threadOutputs, int threads, int[] copyStarts, int[] copies, int copyCount, NetworkLayer layer)
    {
        int slots = _warpRows[_stageCount * Warps] << LaneBits;
        var layout = new PooledTiledLayer(_lists.Count, threads, threadOutputs, copyStarts, copies, copyCount, _blockStages,
            _stageStarts, _stageCount, _footprint, _footprintLength, _warpRows, _slotIndex, _slotValue, slots, layer, _computedEntries);
        _stageStarts = _footprint = _warpRows = [];
        _slotIndex = [];
        _slotValue = [];
        return layout;
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
        PooledArrays.Return(ref _footprint);
        PooledArrays.Return(ref _stageStarts);
        PooledArrays.Return(ref _warpRows);
        PooledArrays.Return(ref _longest);
        PooledArrays.Return(ref _position);
        PooledArrays.Return(ref _entryPositions);
        PooledArrays.Return(ref _stagedIn);
        PooledArrays.Return(ref _slotIndex);
        PooledArrays.Return(ref _slotValue);
    }
}
