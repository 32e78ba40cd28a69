namespace SpDnn.Engines.Cpu;

/// <summary>
/// With streamed layer plans and several image batches: the plans the first batch takes, kept for
/// the run's other batches (which run the same layers, up to where the batches are merged), as
/// many as <paramref name="budgetBytes"/> allows; a later batch takes kept plans and has only the
/// layers beyond them planned again. So each layer is planned once per run where memory allows,
/// instead of once per batch.
/// </summary>
/// <param name="first">The first layer the batches take.</param>
internal sealed class RetainedLayerPlans(int first, long budgetBytes)
{
    private readonly List<CpuLayerPlan> _plans = [];

    /// <summary>The first layer the batches take.</summary>
    public int First => first;
    private long _bytes;
    private bool _full;

    /// <summary>Layers planned again for a later batch because their plans did not fit the budget.</summary>
    public int Replanned { get; private set; }

    /// <summary>Plans kept.</summary>
    public int Count => _plans.Count;

    /// <summary>The first batch's plans (<paramref name="inner"/>), keeping each in layer order until the budget is spent.</summary>
    public ILayerPlanSequence Record(ILayerPlanSequence inner) => new Recorder(this, inner);

    /// <summary>A later batch's plans: the kept ones, then the rest from <paramref name="open"/> (given the first layer not kept).</summary>
    public ILayerPlanSequence Replay(Func<int, ILayerPlanSequence> open) => new Replayer(this, open);

    /// <summary>Drops the kept plans (the batches that took them are done).</summary>
    public void Forget()
    {
        _plans.Clear();
        _plans.TrimExcess();
        _bytes = 0;
        _full = true;
    }

    private void Keep(int index, CpuLayerPlan plan)
    {
        if (_full || index != First + _plans.Count) return;
        long bytes = CpuLayerPlan.EstimateBytes(plan.Inputs, plan.NonZeros);
        if (_bytes + bytes > budgetBytes)
        {
            _full = true;
            return;
        }
        _bytes += bytes;
        _plans.Add(plan);
    }

    private sealed class Recorder(RetainedLayerPlans kept, ILayerPlanSequence inner) : ILayerPlanSequence
    {
        public CpuLayerPlan Take(int index)
        {
            var plan = inner.Take(index);
            kept.Keep(index, plan);
            return plan;
        }

        public void Release(int index) => inner.Release(index);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Replayer(RetainedLayerPlans kept, Func<int, ILayerPlanSequence> open) : ILayerPlanSequence
    {
        private ILayerPlanSequence? _rest;

        public CpuLayerPlan Take(int index)
        {
            int at = index - kept.First;
            if (at >= 0 && at < kept._plans.Count) return kept._plans[at];
            _rest ??= open(index);
            kept.Replanned++;
            return _rest.Take(index);
        }

        public void Release(int index)
        {
            if (index - kept.First >= kept._plans.Count) _rest?.Release(index);
        }

        public void Dispose() => _rest?.Dispose();
    }
}
