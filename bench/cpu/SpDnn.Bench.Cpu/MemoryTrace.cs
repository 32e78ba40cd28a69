using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace SpDnn.Bench.Cpu;

/// <summary>
/// With --trace-memory: a line on stderr every few seconds with the phase, the last layer
/// reported, the resident set and the managed heap, so a run's memory can be followed (where the
/// peak is reached, and how much of it is garbage the collector has not returned yet).
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer? _timer;
    private volatile string _phase = "start";
    private int _layer;

    public MemoryTrace(double intervalSeconds)
    {
        if (intervalSeconds <= 0) return;
        Console.Error.WriteLine($"trace: server GC {GCSettings.IsServerGC}, latency {GCSettings.LatencyMode}, {Environment.ProcessorCount} processors");
        var period = TimeSpan.FromSeconds(intervalSeconds);
        _timer = new Timer(_ => Write(), null, period, period);
    }

    /// <summary>The layers reported by a run (InferenceOptions.Progress).</summary>
    public IProgress<int> Layers => new Progress(this);

    /// <summary>Starts a phase (and writes a line for its start).</summary>
    public void Phase(string name)
    {
        _phase = name;
        _layer = 0;
        if (_timer is not null) Write();
    }

    private void Write()
    {
        var gc = GC.GetGCMemoryInfo();
        var (anonymous, files) = PeakMemory.ResidentParts();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trace {_clock.Elapsed.TotalSeconds,8:F1} s  {_phase,-10} layer {_layer,5}  rss {PeakMemory.ResidentBytes() / 1e9,6:F2} GB (anon {anonymous / 1e9:F2}, files {files / 1e9:F2})  peak {PeakMemory.Bytes() / 1e9,6:F2} GB  heap now {GC.GetTotalMemory(false) / 1e9,6:F2} GB, at last GC {gc.HeapSizeBytes / 1e9,6:F2} GB (committed {gc.TotalCommittedBytes / 1e9,6:F2} GB)  gcs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
    }

    public void Dispose() => _timer?.Dispose();

    private sealed class Progress(MemoryTrace trace) : IProgress<int>
    {
        public void Report(int value) => trace._layer = value;
    }
}
