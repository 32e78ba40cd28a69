namespace SpDnn.Distributed;

/// <summary>Turns per-device "layers done" reports into one: the number of layers every device has finished.</summary>
internal sealed class LayerProgressAggregator(IProgress<int> target, int devices)
{
    private readonly int[] _done = new int[devices];
    private int _reported;

    /// <summary>A progress sink for <paramref name="device"/>; its reports count from <paramref name="layerOffset"/>.</summary>
    public IProgress<int> For(int device, int layerOffset) => new Sink(this, device, layerOffset);

    private void Report(int device, int layers)
    {
        int everyone;
        lock (_done)
        {
            _done[device] = Math.Max(_done[device], layers);
            everyone = _done.Min();
            if (everyone <= _reported) return;
            _reported = everyone;
        }
        target.Report(everyone);
    }

    private sealed class Sink(LayerProgressAggregator owner, int device, int layerOffset) : IProgress<int>
    {
        public void Report(int value) => owner.Report(device, layerOffset + value);
    }
}
