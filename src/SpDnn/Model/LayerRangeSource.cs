namespace SpDnn.Model;

/// <summary>
/// Layers <c>first .. first+count-1</c> of another source, seen as a network of their own
/// (layer 0 of the view is layer <c>first</c> of the source). Lets an engine plan and run part
/// of a network, e.g. the layers before and after a re-balance of live images.
/// </summary>
internal sealed class LayerRangeSource : ILayerSource
{
    private readonly ILayerSource _source;

    public LayerRangeSource(ILayerSource source, int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (first + count > source.LayerCount)
            throw new ArgumentOutOfRangeException(nameof(count), $"Layers {first + 1}..{first + count} lie beyond the {source.LayerCount} layers of {source.Description}.");
        _source = source;
        First = first;
        LayerCount = count;
    }

    /// <summary>0-based index, in the source, of this view's layer 0.</summary>
    public int First { get; }

    public int Neurons => First == 0 || _source.IsChallengeForm ? _source.Neurons : _source.GetLayer(First).Inputs;
    public int LayerCount { get; }
    public int MaxWidth => _source.MaxWidth;
    public int Outputs => First + LayerCount == _source.LayerCount ? _source.Outputs : _source.GetLayer(First + LayerCount - 1).Neurons;
    public ReadOut ReadOut => _source.ReadOut;
    public bool IsChallengeForm => _source.IsChallengeForm;
    public string Description => $"{_source.Description}, layers {First + 1}..{First + LayerCount}";

    public NetworkLayer GetLayer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, LayerCount);
        return _source.GetLayer(First + index);
    }
}
