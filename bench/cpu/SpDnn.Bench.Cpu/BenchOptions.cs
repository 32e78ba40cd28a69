namespace SpDnn.Bench.Cpu;

/// <summary>Command line of the CPU-versus-GraphBLAS benchmark.</summary>
internal sealed record BenchOptions
{
    /// <summary>Folder for GraphBLAS's TSV files: neuron{N}/n{N}-l{k}.tsv and sparse-images-{N}-*.tsv (written from the generators when missing).</summary>
    public string Data { get; init; } = "bench/data";
    /// <summary>Networks NxL, each optionally limited to its first M images (NxL:M).</summary>
    public IReadOnlyList<(int Neurons, int Layers, int ImageLimit)> Cases { get; init; } = [(1024, 120, 0), (1024, 480, 0), (4096, 120, 0), (4096, 480, 0), (16384, 120, 0)];
    public int Repeat { get; init; } = 3;
    /// <summary>Timed GraphBLAS runs per network (its late layers are slow, so fewer may be wanted).</summary>
    public int GraphBlasRepeat { get; init; } = 3;
    public int Threads { get; init; }
    public string GraphBlas { get; init; } = "bench/graphblas/bin/spdnn_graphblas";
    public string Output { get; init; } = "bench/results";
    public string Name { get; init; } = $"cpu-vs-graphblas-{DateTime.UtcNow:yyyyMMdd-HHmm}";
    /// <summary>Image file used for every case instead of the generated challenge images (it must have N pixels).</summary>
    public string? Images { get; init; }
    /// <summary>Cases GraphBLAS runs too (null: every case up to 16384 neurons and 4096 x 1920 edges per image; empty: none).</summary>
    public IReadOnlyList<(int Neurons, int Layers, int ImageLimit)>? GraphBlasCases { get; init; }
    /// <summary>GraphBLAS runs longer than this are stopped and recorded as such.</summary>
    public double GraphBlasTimeoutSeconds { get; init; } = 1800;
    /// <summary>The CPU engine's untimed first run: all images ("full"), the first 1000 ("small": JIT and buffers, not the whole cost twice) or none.</summary>
    public string Warmup { get; init; } = "full";
    /// <summary>Seconds between memory trace lines on stderr (0: none).</summary>
    public double TraceMemorySeconds { get; init; }

    /// <summary>Whether GraphBLAS runs <paramref name="c"/>: its TSV layers then have to be written (4096 x 1920: 5 GB).</summary>
    public bool RunsGraphBlas((int Neurons, int Layers, int ImageLimit) c) =>
        GraphBlasCases?.Contains(c) ?? (c.Neurons <= 16384 && (long)c.Neurons * c.Layers <= 4096L * 1920);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int a = 0; a < args.Length; a++)
        {
            string value = a + 1 < args.Length ? args[a + 1] : throw new ArgumentException($"{args[a]} needs a value.");
            o = args[a++] switch
            {
                "--data" => o with { Data = value },
                "--cases" => o with { Cases = [.. value.Split(',').Select(ParseCase)] },
                "--repeat" => o with { Repeat = int.Parse(value) },
                "--threads" => o with { Threads = int.Parse(value) },
                "--graphblas" => o with { GraphBlas = value },
                "--out" => o with { Output = value },
                "--name" => o with { Name = value },
                "--graphblas-repeat" => o with { GraphBlasRepeat = int.Parse(value) },
                "--images" => o with { Images = value },
                "--graphblas-cases" => o with { GraphBlasCases = value == "none" ? [] : [.. value.Split(',').Select(ParseCase)] },
                "--graphblas-timeout" => o with { GraphBlasTimeoutSeconds = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--trace-memory" => o with { TraceMemorySeconds = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--warmup" => value is "full" or "small" or "none" ? o with { Warmup = value } : throw new ArgumentException("--warmup takes full, small or none."),
                var other => throw new ArgumentException($"Unknown option {other}. Options: --data --cases NxL,.. --repeat --threads --graphblas --graphblas-repeat --graphblas-cases NxL,..|none --graphblas-timeout S --warmup full|small|none --trace-memory S --out --name --images"),
            };
        }
        if (o.Repeat < 1 || o.GraphBlasRepeat < 1) throw new ArgumentException("--repeat and --graphblas-repeat must be at least 1.");
        return o;
    }

    private static (int, int, int) ParseCase(string text)
    {
        var limit = text.Split(':');
        var parts = limit[0].Split('x');
        if (parts.Length != 2 || limit.Length > 2) throw new ArgumentException($"A case is NxL or NxL:M (M images), e.g. 1024x120, not \"{text}\".");
        return (int.Parse(parts[0]), int.Parse(parts[1]), limit.Length == 2 ? int.Parse(limit[1]) : 0);
    }
}
