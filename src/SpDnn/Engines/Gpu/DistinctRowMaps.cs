using SpDnn.Model;

namespace SpDnn.Engines.Gpu;

/// <summary>
/// Each layer's <see cref="DistinctRows"/>, found once and shared by the two layers that need it
/// while they are planned on different threads: layer k (which stores its outputs so) and layer
/// k + 1 (whose inputs are those rows). The worker that plans layer k finds them from the lists it
/// has anyway; the worker of layer k + 1 waits for that, or, where nobody plans layer k (its chunk
/// came from the plan cache), reads layer k itself. The last layer keeps one row per output: the
/// answer is read from it. Where a layer has no outputs to spare, its rows are its outputs (null).
/// </summary>
internal sealed class DistinctRowMaps(ILayerSource network, CancellationToken stop)
{
    private enum State : byte
    {
        Open,
        Claimed,    // a worker plans the layer and will publish its rows
        Published,  // found, waiting for the next layer
        Taken,      // the next layer took them (found again if asked again)
    }

    private readonly object _gate = new();
    private readonly State[] _states = new State[network.LayerCount];
    private readonly DistinctRows?[] _rows = new DistinctRows?[network.LayerCount];

    /// <summary>Says that the caller will plan layer <paramref name="k"/> (and so publish its rows): the next layer waits for them rather than reading the layer too.</summary>
    public void Claim(int k)
    {
        lock (_gate)
            if (_states[k] == State.Open) _states[k] = State.Claimed;
    }

    /// <summary>
    /// Layer <paramref name="k"/> of the network (<paramref name="layer"/>, whose own Index may
    /// count from elsewhere: a range of a larger network) as it runs with distinct rows: its
    /// outputs' rows from <paramref name="lists"/> (its lists by output, row j = output j),
    /// published for the next layer, and its inputs read from the rows of the layer before.
    /// </summary>
    public NetworkLayer Transform(int k, NetworkLayer layer, OutputInputLists lists)
    {
        var own = Publish(k, lists, layer.Bias);
        var before = k > 0 ? Before(k) : null;
        return own is null && before is null ? layer : DistinctRowsLayer.Create(layer, lists, before, own);
    }

    /// <summary>The rows of layer <paramref name="k"/> found from its <paramref name="lists"/>, kept for layer k + 1.</summary>
    public DistinctRows? Publish(int k, OutputInputLists lists, float[] bias)
    {
        lock (_gate)
            if (_states[k] == State.Published) return _rows[k];
        return Keep(k, k == _states.Length - 1 ? null : DistinctRows.Find(lists, bias));
    }

    /// <summary>Keeps <paramref name="rows"/> for layer k + 1 unless they were kept or taken already; returns them.</summary>
    private DistinctRows? Keep(int k, DistinctRows? rows)
    {
        lock (_gate)
        {
            if (_states[k] is State.Open or State.Claimed)
            {
                _rows[k] = rows;
                _states[k] = State.Published;
                Monitor.PulseAll(_gate);
            }
        }
        return rows;
    }

    /// <summary>A worker that claimed layer <paramref name="k"/> failed before publishing: the next layer finds its rows itself.</summary>
    public void Abandon(int k)
    {
        lock (_gate)
        {
            if (_states[k] != State.Claimed) return;
            _states[k] = State.Open;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The rows layer <paramref name="k"/> - 1 stores its outputs in (layer k's inputs).</summary>
    private DistinctRows? Before(int k)
    {
        int before = k - 1;
        lock (_gate)
        {
            while (_states[before] == State.Claimed)
            {
                stop.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 50);
            }
            if (_states[before] == State.Published)
            {
                var rows = _rows[before];
                _rows[before] = null;
                _states[before] = State.Taken;
                return rows;
            }
        }
        // Nobody plans that layer: read it.
        return FindInNetwork(before);
    }

    /// <summary>Whether layer 0 stores fewer rows than it has outputs: found (and kept for layer 1) from the network's first layer.</summary>
    public bool FirstLayerShrinks() => _states.Length >= 2 && Keep(0, FindInNetwork(0)) is not null;

    /// <summary>The rows of layer <paramref name="k"/> (not the last), found from the network's layer itself.</summary>
    private DistinctRows? FindInNetwork(int k)
    {
        var layer = network.GetLayerForOutputs(k);
        using var lists = new OutputInputLists(layer, groupByFirstInput: false);
        return DistinctRows.Find(lists, layer.Bias);
    }
}
