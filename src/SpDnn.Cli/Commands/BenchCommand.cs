using System.CommandLine;
using SpDnn.Cli.Bench;
using SpDnn.Cli.Reporting;
using SpDnn.Cli.Safety;
using SpDnn.Cli.Terminal;
using SpDnn.Data;
using SpDnn.Engines;
using SpDnn.Generation;

namespace SpDnn.Cli.Commands;

/// <summary><c>spdnn bench</c>: engines x networks (challenge or general family), medians, truth checks, report files.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var family = ChoiceOption.Of("--family", "challenge: the official networks; general: random connectivity and weights (issue 14)", NetworkFamily.Challenge);
        var neurons = new Option<string?>("--neurons") { Description = "Comma-separated N values (1024,4096,16384,65536; default 1024, general family 1024,4096,16384)" };
        var layers = new Option<string>("--layers") { Description = "Comma-separated L values (120,480,1920)", DefaultValueFactory = _ => "120" };
        var engines = new Option<string>("--engine") { Description = $"Comma-separated engines ({EngineFactory.Usage})", DefaultValueFactory = _ => EngineFactory.Auto };
        var repeat = NumberOption.Int("--repeat", "Timed runs per engine and network (after one warm-up)", 1, 1000, 5);
        var images = NumberOption.Int("--images", "Use the first K of the 60000 challenge images", 1, MnistTrainingImages.Count, MnistTrainingImages.Count);
        var imageFiles = new Option<string[]>("--images-file") { Description = "Image file to use instead of the generated images for its N (repeatable; N read from the file)" };
        var truth = new Option<string[]>("--truth-dir") { Description = "Folders holding neuron{N}-l{L}-categories.tsv (default: bench/truth and the official data beside the checkout)" };
        var writeTruth = new Option<string?>("--write-truth") { Description = "Write missing truth files into this folder from reference or cpu runs" };
        var truthImages = NumberOption.Int("--truth-images", "General family: images the written truth covers (the first K)", 1, MnistTrainingImages.Count, 2000);
        var output = new Option<string>("--out") { Description = "Folder for the record (JSON, CSV, Markdown, PNG)", DefaultValueFactory = _ => Path.Combine("bench", "results") };
        var name = new Option<string?>("--name") { Description = "File name stem of the record (default: bench-DATE-HOST)" };
        var planCache = new Option<string?>("--plan-cache") { Description = "Folder to keep planned layouts in (GPU engine), keyed by network and settings: a later bench reads them instead of planning" };
        var threads = NumberOption.Int("--threads", $"Worker threads for CPU engines (0: all cores, at most {NumberOption.MaxThreads})", 0, NumberOption.MaxThreads, 0);
        var command = new Command("bench", "Benchmark engines on the challenge networks (or the general family) and write a report")
        {
            family, neurons, layers, engines, repeat, images, imageFiles, truth, writeTruth, truthImages, output, name, threads, planCache,
        };
        command.SetAction(parse =>
        {
            var networks = parse.GetValue(family);
            var request = new BenchRequest
            {
                Family = networks,
                Neurons = ParseList(parse.GetValue(neurons) ?? string.Join(',', networks.DefaultNeurons()), "--neurons").Select(int.Parse).ToArray(),
                Layers = ParseList(parse.GetValue(layers)!, "--layers").Select(int.Parse).ToArray(),
                Engines = ParseEngines(parse.GetValue(engines)!),
                Repeat = parse.GetValue(repeat),
                Images = parse.GetValue(images),
                ImageFiles = parse.GetValue(imageFiles) ?? [],
                TruthFolders = parse.GetValue(truth) is { Length: > 0 } folders ? folders : TruthLookup.DefaultFolders(),
                WriteTruthTo = parse.GetValue(writeTruth),
                TruthImages = parse.GetValue(truthImages),
                OutputFolder = parse.GetValue(output)!,
                Name = PortableFileName.Of(parse.GetValue(name) ?? $"bench-{DateTime.UtcNow:yyyyMMdd-HHmm}-{Environment.MachineName}"),
                Threads = parse.GetValue(threads),
                PlanCache = parse.GetValue(planCache),
            };
            OutputGuard.Check(request.ImageFiles.Select(f => ("--images-file", (string?)f)), ReportWriter.MainFiles(request.OutputFolder, request.Name).Select(f => ("--out", (string?)f)));
            var config = parse.InvocationConfiguration;
            var record = new BenchRunner(config.Output, config.Error, StepProgress.For(config.Error), ChallengeDataCache.Default).Run(request);
            foreach (var file in ReportWriter.Write(record, request.OutputFolder, request.Name)) config.Output.WriteLine(file);
            config.Output.Write(ReportTables.Markdown(record));
            return record.Runs.Any(r => r.Passed == false) ? CliRunner.ExitFailedCheck : CliRunner.ExitOk;
        });
        return command;
    }

    private static string[] ParseEngines(string text)
    {
        var engines = ParseList(text, "--engine");
        foreach (var engine in engines) EngineFactory.Check(engine);
        return engines;
    }

    private static string[] ParseList(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new SpDnnUsageException($"{option} needs at least one value.");
        if (option != "--engine" && items.Any(i => !int.TryParse(i, out int v) || v <= 0))
            throw new SpDnnUsageException($"{option} takes positive integers separated by commas, not '{text}'.");
        return items;
    }
}
