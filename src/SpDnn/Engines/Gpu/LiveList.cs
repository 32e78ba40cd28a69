using ILGPU;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// The live list a layer of <see cref="LayerProgram"/> reads: in global memory, or (once few
/// rows are live) the copy every group compacted into its own shared memory as 16-bit positions.
/// </summary>
internal readonly struct LiveList
{
    private readonly ArrayView<int> _global;
    private readonly ArrayView<ushort> _inGroup;
    private readonly bool _useInGroup;

    public LiveList(ArrayView<int> global, ArrayView<ushort> inGroup, bool useInGroup)
    {
        _global = global;
        _inGroup = inGroup;
        _useInGroup = useInGroup;
    }

    /// <summary>The input column of live position <paramref name="p"/>.</summary>
    public int this[int p] => _useInGroup ? _inGroup[p] : _global[p];
}
