using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SpDnn.Model;

namespace SpDnn.Bench.Onnx;

/// <summary>
/// ONNX Runtime's CPU provider on one model: the session made once (untimed), then the whole batch per run.
/// Its intra-op threads spin while they wait for work; by default they also go on spinning for a
/// while after a run returns (tens of milliseconds on the H200 host's Xeon), on every core they
/// hold, so whatever runs next in the process (the other runner's turn) shares the cores with
/// them: on that host the CPU engine's 16-thread median was 0.0183 s after ONNX Runtime's turns
/// against 0.0037 s for a turn that found the cores free. <paramref name="spinAfterRun"/> false
/// (the harness's default) sets ONNX Runtime's own "session.force_spinning_stop" so the spinning
/// stops when a run returns; within a run it spins as by default, so its own time is unchanged.
/// </summary>
internal sealed class OnnxRuntimeRun : IDisposable
{
    private readonly InferenceSession _session;
    private readonly DenseTensor<float> _input;
    private readonly string _inputName;

    public OnnxRuntimeRun(string model, ImageBatch images, int threads, bool spinAfterRun)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        if (!spinAfterRun) options.AddSessionConfigEntry("session.force_spinning_stop", "1");
        _session = new InferenceSession(model, options);
        _inputName = _session.InputMetadata.Keys.First();
        int n = images.Count, features = images.Neurons;
        var dense = new float[(long)n * features];
        for (int r = 0; r < n; r++)
        {
            var cols = images.Features.RowIndices(r);
            var vals = images.Features.RowValues(r);
            for (int e = 0; e < cols.Length; e++) dense[(long)r * features + cols[e]] = vals[e];
        }
        _input = new DenseTensor<float>(dense, [n, features]);
    }

    /// <summary>One run of the batch: seconds and the logits (images x outputs).</summary>
    public (double Seconds, float[] Logits) Run()
    {
        var watch = Stopwatch.StartNew();
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, _input)]);
        var logits = results.First().AsTensor<float>().ToArray();
        return (watch.Elapsed.TotalSeconds, logits);
    }

    public void Dispose() => _session.Dispose();
}
