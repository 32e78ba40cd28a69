using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Engines.Gpu;
using SpDnn.Engines.Reference;
using SpDnn.Formats;
using SpDnn.Formats.Models;
using SpDnn.Generation;
using SpDnn.Model;

namespace SpDnn.Cli.Commands;

/// <summary>
/// <c>spdnn gpu-selftest</c>: runs the GPU engine against the reference engine on random general
/// networks, on challenge-shaped networks, (with --general) on issue 14's general family and (with
/// --model) on trained models of any layer form, and prints timings. Exit code 1 when any result differs.
/// </summary>
public static class GpuSelfTestCommand
{
    public static Command Create()
    {
        var neurons = NumberOption.IntList("--neurons", "Sizes of the challenge-shaped networks", 32, 1 << 20, [1024]);
        var layers = NumberOption.IntList("--layers", "Layer counts of the challenge-shaped networks", 1, NumberOption.MaxLayers, [120]);
        var images = NumberOption.Int("--images", "Images per challenge-shaped run", 1, 1 << 24, 60000);
        var density = NumberOption.Real("--density", "Pixel density of the random images", 0, 1, 0.25);
        var referenceLimit = NumberOption.Long("--reference-limit", "Check against the reference engine when images x N x L is at most this", 0, long.MaxValue, 10_000_000_000L);
        var simulator = new Option<bool>("--cpu-simulator") { Description = "Run the kernels on ILGPU's CPU simulator" };
        var noCollapse = new Option<bool>("--no-collapse") { Description = "Do not merge identical rows" };
        var json = new Option<string?>("--json") { Description = "Write the measurements to this JSON file" };
        var timeLayers = new Option<bool>("--time-layers") { Description = "Also time every layer on the device (one launch per layer, device events) and print the first ones" };
        var dedupe = ChoiceOption.Of("--dedupe", "Duplicate outputs computed once: off, on or auto (as gpu:dedupe=)", new GpuEngineOptions().MergeDuplicateOutputs);
        var rows = ChoiceOption.Of("--rows", "Feature rows per layer: all, or distinct (one per distinct output, as gpu:rows=)", new GpuEngineOptions().Rows);
        var general = new Option<string?>("--general") { Description = "Comma-separated N values of general-family networks (issue 14) to check and time, e.g. 1024,4096,16384" };
        var generalLayers = NumberOption.Int("--general-layers", "Layers of the general-family networks", 1, NumberOption.MaxLayers, 120);
        var generalImages = NumberOption.Int("--general-images", "General family: the first K images checked bit for bit against the reference (timing uses --images)", 1, 1 << 24, 1000);
        var models = new Option<string?>("--model") { Description = "Comma-separated trained models (ONNX, .npz, binary) checked bit for bit against the reference, classes and logits, on --model-images" };
        var modelImages = new Option<string?>("--model-images") { Description = "Images for --model (MNIST IDX, TSV, binary), e.g. data/mnist/t10k-images-idx3-ubyte.gz" };

        var command = new Command("gpu-selftest", "Check the GPU engine against the reference engine and time it")
        {
            neurons, layers, images, density, referenceLimit, simulator, noCollapse, json, timeLayers, dedupe, rows, general, generalLayers, generalImages,
            models, modelImages,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            int[] generalSizes = ParseSizes(parse.GetValue(general));
            int generalLayerCount = parse.GetValue(generalLayers), generalChecked = parse.GetValue(generalImages);
            string[] modelPaths = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            if (modelPaths.Length > 0 && parse.GetValue(modelImages) is null) throw new SpDnnUsageException("--model needs --model-images.");
            var options = new GpuEngineOptions
            {
                Accelerator = parse.GetValue(simulator) ? GpuAcceleratorChoice.CpuSimulator : GpuAcceleratorChoice.Cuda,
                CollapseIdenticalRows = !parse.GetValue(noCollapse),
                MergeDuplicateOutputs = parse.GetValue(dedupe),
                Rows = parse.GetValue(rows),
            };
            var timed = options with { TimeEachLayer = true };
            bool showLayers = parse.GetValue(timeLayers);
            var start = Stopwatch.StartNew();
            using var engine = new GpuEngine(options);
            output.WriteLine($"device: {engine.DeviceDescription} (opened in {start.Elapsed.TotalSeconds:F2} s)");
            var records = new List<Dictionary<string, object>>();
            bool allPassed = true;

            // 1. Random general networks: uneven rows, empty rows, both bias signs; bitwise check.
            for (int seed = 0; seed < 4; seed++)
            {
                var shape = new RandomNetworkOptions { Neurons = 1024, Layers = 20, MeanRowNonZeros = 8 + 8 * seed, MinWeight = -0.5f, MaxWeight = 1f };
                var network = InMemoryNetwork.Load(new RandomNetworkGenerator(seed, shape));
                var batch = RandomNetworkGenerator.RandomImages(seed, 500, shape.Neurons, 0.2, 1f, binary: false);
                allPassed &= Check(output, engine, network, batch, $"random seed {seed}", records, checkReference: true);
            }

            // 2. Challenge-shaped networks.
            foreach (int n in parse.GetValue(neurons)!)
            {
                foreach (int l in parse.GetValue(layers)!)
                {
                    var network = new ChallengeShapedNetwork(n, l);
                    int count = parse.GetValue(images);
                    var batch = BinaryImages(n, count, n, parse.GetValue(density));
                    bool reference = (double)count * n * l <= parse.GetValue(referenceLimit);
                    allPassed &= Check(output, engine, network, batch, $"challenge-shaped N={n} L={l}", records, reference);
                    if (showLayers) TimeLayers(output, timed, network, batch);
                }
            }

            // 3. The general family (issue 14): random connectivity and non-dyadic weights, every image live.
            // Bit for bit against the reference on the first images, then timed on all of them; one plan.
            foreach (int n in generalSizes)
            {
                var network = InMemoryNetwork.Load(new GeneralNetworkGenerator(n, generalLayerCount));
                var all = GeneralImages(n, parse.GetValue(images), parse.GetValue(density));
                using var plan = engine.Plan(network, InferenceOptions.Default);
                int check = Math.Min(generalChecked, all.Count);
                allPassed &= Check(output, engine, network, all.Slice(0, check), $"general N={n} L={generalLayerCount} first {check}", records, checkReference: true, plan);
                allPassed &= Check(output, engine, network, all, $"general N={n} L={generalLayerCount}", records, checkReference: false, plan);
                if (showLayers) TimeLayers(output, timed, network, all);
            }

            // 4. Trained models (layers of any shape and form, a class read-out): classes and logits bit for bit.
            foreach (var modelPath in modelPaths)
            {
                var network = ModelFiles.Read(modelPath);
                var batch = ImageLoader.Load(parse.GetValue(modelImages)!, network);
                allPassed &= Check(output, engine, network, batch, $"model {Path.GetFileName(modelPath)} ({NetworkFormCheck.Describe(network)})", records, checkReference: true);
            }

            if (parse.GetValue(json) is { } path)
            {
                var text = JsonSerializer.Serialize(records, new JsonSerializerOptions { WriteIndented = true });
                Formats.AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            }
            output.WriteLine(allPassed ? "gpu-selftest: all checks passed" : "gpu-selftest: FAILED");
            return allPassed ? CliRunner.ExitOk : CliRunner.ExitFailedCheck;
        });
        return command;
    }

    private static int[] ParseSizes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0 || items.Any(i => !int.TryParse(i, out int v) || v < GeneralNetworkGenerator.InputsPerOutput || v > 1 << 20))
            throw new SpDnnUsageException($"--general takes N values from {GeneralNetworkGenerator.InputsPerOutput} to {1 << 20} separated by commas, not '{text}'.");
        return [.. items.Select(int.Parse)];
    }

    /// <summary>The first <paramref name="count"/> official images of size N (generated once into the data cache) for the challenge sizes, else random binary images.</summary>
    private static ImageBatch GeneralImages(int neurons, int count, double density)
    {
        if (!ChallengeSpec.IsChallengeSize(neurons)) return BinaryImages(neurons, count, neurons, density);
        var official = ChallengeDataCache.Default.Images(neurons);
        return count >= official.Count ? official : official.Slice(0, count);
    }

    /// <summary>Binary images with round(density x N) pixels each at random places; fast for large N (parallel).</summary>
    private static ImageBatch BinaryImages(int seed, int count, int neurons, double density)
    {
        int perImage = (int)Math.Round(density * neurons);
        var offsets = new int[count + 1];
        for (int r = 0; r < count; r++) offsets[r + 1] = offsets[r] + perImage;
        var columns = new int[offsets[^1]];
        Parallel.For(0, count, r =>
        {
            var rng = new Random(SpDnn.Generation.StableSeed.Mix(seed, r));
            var picked = new HashSet<int>(perImage);
            while (picked.Count < perImage) picked.Add(rng.Next(neurons));
            var span = columns.AsSpan(offsets[r], perImage);
            int e = 0;
            foreach (int c in picked) span[e++] = c;
            span.Sort();
        });
        var values = new float[columns.Length];
        Array.Fill(values, 1f);
        return new ImageBatch(new CsrMatrix(count, neurons, offsets, columns, values), $"random binary images (seed {seed})");
    }

    /// <summary>Runs once more with a synchronisation after every layer and prints where the time goes.</summary>
    private static void TimeLayers(TextWriter output, GpuEngineOptions options, ILayerSource network, ImageBatch images)
    {
        using var engine = new GpuEngine(options);
        using var plan = engine.Plan(network, InferenceOptions.Default);
        engine.Execute(plan, images, InferenceOptions.Default);
        var result = engine.Execute(plan, images, InferenceOptions.Default);
        var s = result.LayerStatistics;
        var first = string.Join(", ", s.Take(12).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Layer}:{x.LiveImages}/{x.Seconds * 1e6:F0}us")));
        double rest = s.Skip(12).Sum(x => x.Seconds), mean = s.Skip(12).Select(x => x.Seconds).DefaultIfEmpty().Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  per layer (device time, one launch each, total {s.Sum(x => x.Seconds) * 1e3:F2} ms): {first}; layers 13+: {rest * 1e3:F2} ms, mean {mean * 1e6:F1} us"));
    }

    /// <param name="planned">A plan of <paramref name="network"/> to reuse; planned here when null.</param>
    private static bool Check(TextWriter output, GpuEngine engine, ILayerSource network, ImageBatch images, string name,
        List<Dictionary<string, object>> records, bool checkReference, IEnginePlan? planned = null)
    {
        var keep = new InferenceOptions { KeepFinalFeatures = checkReference };
        using var ownPlan = planned is null ? engine.Plan(network, keep) : null;
        var plan = planned ?? ownPlan!;
        engine.Execute(plan, images.Slice(0, Math.Min(images.Count, 64)), keep); // warm-up: kernel compilation
        var gpu = engine.Execute(plan, images, keep);
        var gpuAgain = engine.Execute(plan, images, keep);
        var best = gpuAgain.InferenceSeconds < gpu.InferenceSeconds ? gpuAgain : gpu;
        string verdict = "not checked";
        bool passed = gpu.Categories.AsSpan().SequenceEqual(gpuAgain.Categories);
        double referenceSeconds = 0;
        if (checkReference)
        {
            var watch = Stopwatch.StartNew();
            var expected = new ReferenceEngine().Infer(network, images, keep);
            referenceSeconds = watch.Elapsed.TotalSeconds;
            bool categories = expected.Categories.AsSpan().SequenceEqual(gpu.Categories);
            bool bits = expected.FinalFeatures!.ContentEquals(gpu.FinalFeatures!);
            bool live = expected.LayerStatistics.Select(s => s.LiveImages).SequenceEqual(gpu.LayerStatistics.Select(s => s.LiveImages));
            passed &= categories && bits && live;
            verdict = $"categories {(categories ? "equal" : "DIFFER")}, final rows {(bits ? "bit-identical" : "DIFFER")}, live counts {(live ? "equal" : "DIFFER")}";
            if (expected.Classes is not null)
            {
                bool classes = gpu.Classes is { } c && c.AsSpan().SequenceEqual(expected.Classes);
                bool logits = gpu.Logits is { } l && MemoryMarshal.Cast<float, int>(l.AsSpan()).SequenceEqual(MemoryMarshal.Cast<float, int>(expected.Logits.AsSpan()));
                passed &= classes && logits;
                verdict += $", classes {(classes ? "equal" : "DIFFER")}, logits {(logits ? "bit-identical" : "DIFFER")}";
            }
        }
        var details = best.Details;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {images.Count} images, {best.Weights} weights, plan {plan.PlanningSeconds:F3} s, inference {best.InferenceSeconds:F4} s ({gpu.InferenceSeconds:F4}/{gpuAgain.InferenceSeconds:F4}), {best.TeraEdgesPerSecond:F2} TE/s, survivors {best.Categories.Length}, padding {details["padding"]}, checkpoints {details["checkpoints"]}, collapses {details["collapses"]}; reference {referenceSeconds:F2} s: {verdict}"));
        records.Add(new Dictionary<string, object>
        {
            ["name"] = name,
            ["neurons"] = network.Neurons,
            ["layers"] = network.LayerCount,
            ["images"] = images.Count,
            ["weights"] = best.Weights,
            ["planningSeconds"] = plan.PlanningSeconds,
            ["inferenceSeconds"] = best.InferenceSeconds,
            ["teraEdgesPerSecond"] = best.TeraEdgesPerSecond,
            ["survivors"] = best.Categories.Length,
            ["referenceSeconds"] = referenceSeconds,
            ["verdict"] = verdict,
            ["passed"] = passed,
            ["details"] = details,
            ["liveImages"] = best.LayerStatistics.Select(s => s.LiveImages).ToArray(),
            ["distinctRows"] = best.LayerStatistics.Select(s => s.DistinctRows).ToArray(),
        });
        return passed;
    }
}
