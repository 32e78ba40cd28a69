// Planning benchmark: for one challenge layer of N=65536 and of N=16384 and one random general layer
// with uneven rows, times separately generating the layer (GetLayer), CsrMatrix.Transpose and
// TiledLayerPlanner.Plan (clustered outputs and consecutive outputs). See README.md.
//   dotnet run -c Release --project bench/planning -- [BenchmarkDotNet options]
//   dotnet run -c Release --project bench/planning -- cpu-time [--repeat 5] [--cases challenge-65536,...] [--out DIR]
//   dotnet run -c Release --project bench/planning -- layer-time [--network FILE | --neurons 65536] [--first 13] [--layers 8] [--repeat 2] [--threads 1] [--transpose]
//   dotnet run -c Release --project bench/planning -- gpu-plan [--network FILE | --neurons 65536] [--layers 64] [--repeat 2] [--threads T] [--plan-cache DIR] [--chunk 32] [--rows all|distinct]
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using SpDnn.Bench.Planning;

if (args.Length > 0 && args[0] == "gpu-plan")
{
    int neurons = 65536, layers = 64, repeat = 2, threads = 0, chunk = 0;
    string? cache = null, network = null;
    var rows = new SpDnn.Engines.Gpu.GpuEngineOptions().Rows; // the engine's default unless --rows says
    for (int a = 1; a < args.Length; a++)
    {
        switch (args[a])
        {
            case "--neurons": neurons = int.Parse(args[++a]); break;
            case "--layers": layers = int.Parse(args[++a]); break;
            case "--repeat": repeat = int.Parse(args[++a]); break;
            case "--threads": threads = int.Parse(args[++a]); break;
            case "--plan-cache": cache = args[++a]; break;
            case "--network": network = args[++a]; break;
            case "--chunk": chunk = int.Parse(args[++a]); break;
            case "--rows": rows = Enum.Parse<SpDnn.Engines.Gpu.FeatureRows>(args[++a], ignoreCase: true); break;
            default: throw new ArgumentException($"Unknown option {args[a]}.");
        }
    }
    GpuPlanRun.Run(network, neurons, layers, repeat, cache, threads, chunk, rows);
    return;
}

if (args.Length > 0 && args[0] == "layer-time")
{
    int neurons = 65536, first = 12, layers = 8, repeat = 2, threads = 1;
    string? network = null;
    bool transpose = false;
    for (int a = 1; a < args.Length; a++)
    {
        switch (args[a])
        {
            case "--network": network = args[++a]; break;
            case "--first": first = int.Parse(args[++a]) - 1; break;
            case "--threads": threads = int.Parse(args[++a]); break;
            case "--neurons": neurons = int.Parse(args[++a]); break;
            case "--layers": layers = int.Parse(args[++a]); break;
            case "--repeat": repeat = int.Parse(args[++a]); break;
            case "--transpose": transpose = true; break;
            default: throw new ArgumentException($"Unknown option {args[a]}.");
        }
    }
    if (threads > 1) LayerTimeRun.RunParallel(network, neurons, first, layers, repeat, threads, transpose);
    else LayerTimeRun.Run(network, neurons, first, layers, repeat, transpose);
    return;
}

if (args.Length > 0 && args[0] == "cpu-time")
{
    int repeat = 5;
    string[] cases = PlanningCase.Names;
    string? output = null;
    for (int a = 1; a < args.Length; a++)
    {
        switch (args[a])
        {
            case "--repeat": repeat = int.Parse(args[++a]); break;
            case "--cases": cases = args[++a].Split(','); break;
            case "--out": output = args[++a]; break;
            default: throw new ArgumentException($"Unknown option {args[a]}.");
        }
    }
    var steps = CpuTimeRun.Measure(cases, repeat);
    Console.WriteLine(CpuTimeRun.Markdown(steps));
    if (output is not null)
    {
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "planning-cpu-time.json"), CpuTimeRun.Json(steps) + "\n");
        File.WriteAllText(Path.Combine(output, "planning-cpu-time.md"), CpuTimeRun.Markdown(steps));
    }
    return;
}

// Few iterations: one plan of N=65536 takes up to seconds, and the machine has two shared cores.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7))
    .AddColumn(StatisticColumn.Min)
    .AddExporter(MarkdownExporter.GitHub)
    .AddExporter(JsonExporter.Brief)
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "spdnn-bench-planning"));
BenchmarkRunner.Run<PlanningBenchmarks>(config, args);
