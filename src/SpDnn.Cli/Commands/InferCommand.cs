using System.CommandLine;
using SpDnn.Cli.Infer;
using SpDnn.Cli.Safety;
using SpDnn.Cli.Terminal;
using SpDnn.Engines;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn infer</c>: the options; the work is done by <see cref="InferRunner"/>.</summary>
public static class InferCommand
{
    public static Command Create()
    {
        var network = new Option<string?>("--network", "--model") { Description = "Network: a folder of n{N}-l{k}.tsv/.mtx files, a neuron{N}.tar.gz, a .bin file, an ONNX model (.onnx) or a NumPy .npz (default: the generated challenge network)" };
        var images = new Option<string?>("--images") { Description = "Images: .tsv, .tsv.gz, .mtx, .bin or MNIST IDX (*-idx3-ubyte[.gz], pixel / 255) (default: the generated challenge images)" };
        var labels = new Option<string?>("--labels") { Description = "Models with a class read-out: the images' labels (IDX *-idx1-ubyte[.gz] or one class per line): prints the accuracy" };
        var predictionsOut = new Option<string?>("--predictions-out") { Description = "Models with a class read-out: write each image's predicted class, one per line" };
        var neurons = NumberOption.Int("--neurons", "Without --network/--images: the challenge dataset of this N (images generated once into the user data cache, the network as it is planned)", 1, int.MaxValue, DefaultDataset.Neurons);
        var data = GenerateCommand.DataOption();
        var layers = NumberOption.OptionalInt("--layers", $"Use the first L layers (all by default; {DefaultDataset.Layers} for the generated dataset)", 1, NumberOption.MaxLayers);
        var bias = NumberOption.OptionalReal("--bias", "Constant bias (default: the challenge's value for N)");
        var truth = new Option<string?>("--truth") { Description = "Categories file to check against (TSV or .mtx): prints challenge PASSED/FAILED" };
        var engine = new Option<string>("--engine") { Description = $"Engine: {EngineFactory.Usage}", DefaultValueFactory = _ => EngineFactory.Auto };
        var categoriesOut = new Option<string?>("--categories-out") { Description = "Write the categories in the official format" };
        var json = new Option<bool>("--json") { Description = "Print one JSON record instead of text" };
        var threads = NumberOption.Int("--threads", $"Worker threads (0: all cores, at most {NumberOption.MaxThreads}; shared by the MPI ranks of a host)", 0, NumberOption.MaxThreads, 0);
        var gpus = new Option<string?>("--gpus") { Description = "GPUs: all, a count K or a list such as 0,2 (one process: images split over them; under mpiexec: one GPU per rank by local rank)" };
        var planCache = new Option<string?>("--plan-cache") { Description = "Folder to keep planned layouts in (GPU engine): a later run of the same network with the same settings reads its plan instead of planning (checked, replaced when damaged or stale)" };
        var rebalance = NumberOption.Int("--rebalance-after", "With several GPUs, re-split the live images evenly after this many layers (0: never)", 0, int.MaxValue, 0);

        var command = new Command("infer", "Run sparse DNN inference on a network and images")
        {
            network, images, neurons, data, layers, bias, truth, engine, categoriesOut, json, threads, gpus, rebalance, labels, predictionsOut, planCache,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(network) is null != result.GetValue(images) is null)
                result.AddError("Give both --network (or --model) and --images, or neither for the generated challenge dataset.");
        });
        command.SetAction(parse =>
        {
            var clock = new AnswerClock();
            var config = parse.InvocationConfiguration;
            EngineFactory.Check(parse.GetValue(engine) ?? EngineFactory.Auto);
            string? networkPath = parse.GetValue(network), imagesPath = parse.GetValue(images), truthPath = parse.GetValue(truth);
            int? layerCount = parse.GetValue(layers);
            Task<SpDnn.Model.ImageBatch>? loadingImages = null;
            Func<SpDnn.Model.ILayerSource>? generated = null;
            if (networkPath is null)
            {
                int n = parse.GetValue(neurons);
                if (!SpDnn.Model.ChallengeSpec.IsChallengeSize(n)) throw new SpDnnUsageException($"--neurons must be one of {string.Join(", ", SpDnn.Model.ChallengeSpec.NeuronCounts)}.");
                layerCount ??= DefaultDataset.Layers;
                var dataset = DefaultDataset.Ensure(GenerateCommand.Cache(parse.GetValue(data)), n, layerCount.Value, StepProgress.For(config.Error), parse.GetValue(bias));
                (generated, imagesPath) = (dataset.Network, dataset.Images);
                truthPath ??= dataset.Truth;
                loadingImages = dataset.LoadingImages;
            }
            OutputGuard.Check([("--network", networkPath), ("--images", imagesPath), ("--truth", truthPath), ("--labels", parse.GetValue(labels))],
                [("--categories-out", parse.GetValue(categoriesOut)), ("--predictions-out", parse.GetValue(predictionsOut))]);
            var request = new InferRequest
            {
                Network = networkPath ?? $"challenge network N={parse.GetValue(neurons)}, L={layerCount} (generated)",
                GeneratedNetwork = generated,
                Images = imagesPath!,
                Layers = layerCount,
                Bias = parse.GetValue(bias),
                Truth = truthPath,
                Engine = parse.GetValue(engine) ?? EngineFactory.Auto,
                CategoriesOut = parse.GetValue(categoriesOut),
                Json = parse.GetValue(json),
                Threads = parse.GetValue(threads),
                Gpus = parse.GetValue(gpus),
                RebalanceAfter = parse.GetValue(rebalance),
                Labels = parse.GetValue(labels),
                PredictionsOut = parse.GetValue(predictionsOut),
                Clock = clock,
                PlanCache = parse.GetValue(planCache),
                LoadingImages = loadingImages,
            };
            return new InferRunner(config.Output, config.Error, StepProgress.For(config.Error)).Run(request);
        });
        return command;
    }
}
