using System.CommandLine;
using SpDnn.Cli.Infer;
using SpDnn.Cli.Terminal;
using SpDnn.Engines;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn infer</c>: the options; the work is done by <see cref="InferRunner"/>.</summary>
public static class InferCommand
{
    public static Command Create()
    {
        var network = new Option<string>("--network") { Description = "Network: a folder of n{N}-l{k}.tsv/.mtx files, a neuron{N}.tar.gz or a .bin file", Required = true };
        var images = new Option<string>("--images") { Description = "Images: .tsv, .tsv.gz, .mtx or .bin", Required = true };
        var layers = new Option<int?>("--layers") { Description = "Use the first L layers (all by default)" };
        var bias = new Option<float?>("--bias") { Description = "Constant bias (default: the challenge's value for N)" };
        var truth = new Option<string?>("--truth") { Description = "Categories file to check against (TSV or .mtx): prints challenge PASSED/FAILED" };
        var engine = new Option<string>("--engine") { Description = $"Engine: {string.Join(", ", EngineFactory.Names)}", DefaultValueFactory = _ => EngineFactory.Auto };
        var categoriesOut = new Option<string?>("--categories-out") { Description = "Write the categories in the official format" };
        var json = new Option<bool>("--json") { Description = "Print one JSON record instead of text" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: all cores; shared by the MPI ranks of a host)" };
        var gpus = new Option<string?>("--gpus") { Description = "GPUs: all, a count K or a list such as 0,2 (one process: images split over them; under mpiexec: one GPU per rank by local rank)" };
        var rebalance = new Option<int>("--rebalance-after") { Description = "With several GPUs, re-split the live images evenly after this many layers (0: never)" };

        layers.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1) result.AddError("--layers must be at least 1.");
        });
        threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0) result.AddError("--threads must be 0 (all cores) or more.");
        });

        var command = new Command("infer", "Run sparse DNN inference on a network and images")
        {
            network, images, layers, bias, truth, engine, categoriesOut, json, threads, gpus, rebalance,
        };
        command.SetAction(parse =>
        {
            var request = new InferRequest
            {
                Network = parse.GetValue(network)!,
                Images = parse.GetValue(images)!,
                Layers = parse.GetValue(layers),
                Bias = parse.GetValue(bias),
                Truth = parse.GetValue(truth),
                Engine = parse.GetValue(engine) ?? EngineFactory.Auto,
                CategoriesOut = parse.GetValue(categoriesOut),
                Json = parse.GetValue(json),
                Threads = parse.GetValue(threads),
                Gpus = parse.GetValue(gpus),
                RebalanceAfter = parse.GetValue(rebalance),
            };
            var config = parse.InvocationConfiguration;
            return new InferRunner(config.Output, config.Error, StepProgress.For(config.Error)).Run(request);
        });
        return command;
    }
}
