using System.Diagnostics;
using System.Numerics;
using SpDnn.Model;

namespace SpDnn.Engines.Reference;

/// <summary>
/// The oracle: the simplest obviously correct implementation of the layer semantics
/// (<see cref="LayerForm"/>). Each image is a sparse row; per layer, a dense accumulator receives
/// y_i · W(i, :) for every nonzero y_i in ascending i; then per output the bias is added (only
/// where the sum is nonzero, or always) and the activation applied (challenge: negatives become 0
/// and values above YMax become YMax). An empty row is skipped by layers that add the bias only to
/// nonzero sums (it stays empty) and computed by layers that add it always (it becomes the
/// activated bias). The answer is the nonzero final rows and, for a class read-out, each image's argmax.
/// </summary>
public sealed class ReferenceEngine : IInferenceEngine
{
    /// <inheritdoc/>
    public string Name => "reference";

    /// <inheritdoc/>
    public bool RunsGeneralForm => true;

    /// <inheritdoc/>
    public IEnginePlan Plan(ILayerSource network, InferenceOptions options) => new ReferencePlan(network);

    /// <inheritdoc/>
    public InferenceResult Execute(IEnginePlan plan, ImageBatch images, InferenceOptions options)
    {
        var p = plan as ReferencePlan ?? throw new ArgumentException("The plan was not made by the reference engine.", nameof(plan));
        if (images.Neurons != p.Neurons)
            throw new ArgumentException($"The images have {images.Neurons} features but the network has {p.Neurons} neurons.");
        return options.Precision == Precision.Double
            ? Run<double>(p.Source, images, options)
            : Run<float>(p.Source, images, options);
    }

    private InferenceResult Run<T>(ILayerSource network, ImageBatch images, InferenceOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = network.Neurons;
        var upload = Stopwatch.StartNew();
        var rows = new SparseRow<T>[images.Count];
        for (int r = 0; r < images.Count; r++)
        {
            var idx = images.Features.RowIndices(r).ToArray();
            var val = new T[idx.Length];
            var src = images.Features.RowValues(r);
            for (int e = 0; e < val.Length; e++) val[e] = T.CreateTruncating(src[e]);
            rows[r] = new SparseRow<T>(idx, val);
        }

        upload.Stop();
        var stats = new List<LayerStatistics>(network.LayerCount);
        long weights = 0;
        var parallel = new ParallelOptions
        {
            CancellationToken = options.Cancellation,
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : -1,
        };
        var total = Stopwatch.StartNew();
        for (int k = 0; k < network.LayerCount; k++)
        {
            var layer = network.GetLayer(k);
            if (layer.Inputs != width || layer.Bias.Length != layer.Neurons)
                throw new ArgumentException($"Layer {k + 1} is {layer.Inputs} x {layer.Neurons} with {layer.Bias.Length} biases; expected {width} inputs and a bias per output.");
            width = layer.Neurons;
            weights += layer.Weights.NonZeros;
            // A bias added always turns an empty row into the activated bias: such a layer computes every row.
            bool zeroStaysZero = layer.KeepsZeroRowsZero();
            var watch = Stopwatch.StartNew();
            Parallel.For(0, rows.Length, parallel,
                () => new T[layer.Neurons],
                (r, _, z) =>
                {
                    if (rows[r].Indices.Length > 0 || !zeroStaysZero) rows[r] = Apply(rows[r], layer, z);
                    return z;
                },
                _ => { });
            int live = rows.Count(row => row.Indices.Length > 0);
            stats.Add(new LayerStatistics(k + 1, live, -1, watch.Elapsed.TotalSeconds));
            options.Progress?.Report(k + 1);
        }

        var categories = new List<int>();
        var survivors = new List<SparseRow<T>>();
        var classes = network.ReadOut == ReadOut.Class ? new ClassReadOut(rows.Length, width, options.KeepFinalFeatures) : null;
        var single = new float[width];
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r].Indices.Length == 0) continue;
            categories.Add(images.ImageNumber(r));
            survivors.Add(rows[r]);
            if (classes is null) continue;
            var values = rows[r].Values;
            for (int e = 0; e < values.Length; e++) single[e] = float.CreateTruncating(values[e]);
            classes.Add(r, rows[r].Indices, single.AsSpan(0, values.Length));
        }
        total.Stop();
        return new InferenceResult
        {
            Engine = Name,
            Neurons = network.Neurons,
            Layers = network.LayerCount,
            Images = images.Count,
            Weights = weights,
            Categories = [.. categories],
            Classes = classes?.Classes,
            Logits = classes?.Logits,
            InferenceSeconds = total.Elapsed.TotalSeconds,
            UploadSeconds = upload.Elapsed.TotalSeconds,
            LayerStatistics = stats,
            FinalFeatures = options.KeepFinalFeatures ? ToCsr(survivors, width) : null,
            Details = new Dictionary<string, string> { ["precision"] = options.Precision.ToString() },
        };
    }

    /// <summary>One row through one layer: sums in ascending input order, then the layer's bias and activation per output.</summary>
    private static SparseRow<T> Apply<T>(SparseRow<T> row, NetworkLayer layer, T[] z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = layer.Weights;
        Array.Clear(z);
        for (int e = 0; e < row.Indices.Length; e++)
        {
            int i = row.Indices[e];
            T y = row.Values[e];
            var cols = w.RowIndices(i);
            var vals = w.RowValues(i);
            for (int q = 0; q < cols.Length; q++)
                z[cols[q]] += y * T.CreateTruncating(vals[q]);
        }
        var form = layer.Form;
        bool onNonzero = form.Bias == BiasMode.OnNonzeroSum;
        bool rectified = form.IsRectified;
        T cap = T.CreateTruncating(form.KernelCap);
        int count = 0;
        for (int j = 0; j < z.Length; j++)
        {
            if (onNonzero && z[j] == T.Zero) continue;
            T v = z[j] + T.CreateTruncating(layer.Bias[j]);
            if (rectified)
            {
                if (v > cap) v = cap;
                v = v > T.Zero ? v : T.Zero;
            }
            z[j] = v;
            if (v != T.Zero) count++;
        }
        var idx = new int[count];
        var val = new T[count];
        int c = 0;
        for (int j = 0; j < z.Length; j++)
        {
            if (z[j] == T.Zero) continue;
            idx[c] = j;
            val[c++] = z[j];
        }
        return new SparseRow<T>(idx, val);
    }

    private static CsrMatrix ToCsr<T>(List<SparseRow<T>> rows, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var offsets = new int[rows.Count + 1];
        for (int r = 0; r < rows.Count; r++) offsets[r + 1] = offsets[r] + rows[r].Indices.Length;
        var cols = new int[offsets[^1]];
        var vals = new float[offsets[^1]];
        for (int r = 0; r < rows.Count; r++)
        {
            rows[r].Indices.CopyTo(cols, offsets[r]);
            for (int e = 0; e < rows[r].Values.Length; e++) vals[offsets[r] + e] = float.CreateTruncating(rows[r].Values[e]);
        }
        return new CsrMatrix(rows.Count, n, offsets, cols, vals);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    private readonly record struct SparseRow<T>(int[] Indices, T[] Values);

    private sealed class ReferencePlan(ILayerSource source) : IEnginePlan
    {
        public ILayerSource Source { get; } = source;
        public int Neurons => Source.Neurons;
        public int LayerCount => Source.LayerCount;
        public long Weights => -1;
        public double PlanningSeconds => 0;
        public void Dispose() { }
    }
}
