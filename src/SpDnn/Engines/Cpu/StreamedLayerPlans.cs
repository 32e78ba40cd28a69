using System.Runtime.ExceptionServices;
using SpDnn.Model;

namespace SpDnn.Engines.Cpu;

/// <summary>
/// Plans layers on a background thread, in order, at most <c>window</c> ahead of the layer the
/// run has released last; the run takes them in order. Errors in planning surface in
/// <see cref="Take"/>.
/// </summary>
internal sealed class StreamedLayerPlans : ILayerPlanSequence
{
    private readonly ILayerSource _source;
    private readonly CpuLayerPlan?[] _ring;
    private readonly int _window;
    private readonly object _gate = new();
    private readonly Thread _producer;
    private readonly CancellationToken _cancellation;
    private readonly int _first;
    private readonly bool _merge;
    private int _built;      // layers planned so far
    private int _released;   // layers the run is done with
    private bool _stopped;
    private Exception? _failure;

    /// <param name="first">The first layer the run takes (a batch merged from earlier batches starts later).</param>
    /// <param name="mergeDuplicates">Plans compute outputs equal by construction once (<see cref="OutputCopies"/>).</param>
    public StreamedLayerPlans(ILayerSource source, int window, CancellationToken cancellation, int first = 0, bool mergeDuplicates = false)
    {
        _merge = mergeDuplicates;
        _source = source;
        _first = first;
        _built = first;
        _released = first;
        _window = Math.Max(1, window);
        _ring = new CpuLayerPlan?[_window];
        _cancellation = cancellation;
        _producer = new Thread(Produce) { IsBackground = true, Name = "spdnn-cpu-planner" };
        _producer.Start();
    }

    private void Produce()
    {
        try
        {
            for (int k = _first; k < _source.LayerCount; k++)
            {
                lock (_gate)
                {
                    while (!_stopped && k - _released >= _window) Monitor.Wait(_gate);
                    if (_stopped) return;
                }
                _cancellation.ThrowIfCancellationRequested();
                var plan = CpuLayerPlan.Build(_source.GetLayerForOutputs(k), _merge);
                lock (_gate)
                {
                    _ring[k % _window] = plan;
                    _built = k + 1;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _failure = e;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Plans built so far (those read ahead and not taken included).</summary>
    public int Built
    {
        get
        {
            lock (_gate) return _built - _first;
        }
    }

    public CpuLayerPlan Take(int index)
    {
        lock (_gate)
        {
            while (_built <= index)
            {
                if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
                Monitor.Wait(_gate);
            }
            return _ring[index % _window]!;
        }
    }

    public void Release(int index)
    {
        lock (_gate)
        {
            _ring[index % _window] = null;
            _released = index + 1;
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
        _producer.Join();
    }
}
