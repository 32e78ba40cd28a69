namespace SpDnn.Bench.Cpu;

/// <summary>Command line of the CPU-versus-GraphBLAS benchmark.</summary>
internal sealed record BenchOptions
{
    /// <summary>Folder with neuron{N}/n{N}-l{k}.tsv and sparse-images-{N}.tsv (missing layers are generated).</summary>
    public string Data { get; init; } = "bench/data";
    public IReadOnlyList<(int Neurons, int Layers)> Cases { get; init; } = [(1024, 120), (1024, 480), (4096, 120), (4096, 480), (16384, 120)];
    public int Repeat { get; init; } = 3;
    public int Threads { get; init; }
    public string GraphBlas { get; init; } = "bench/graphblas/bin/spdnn_graphblas";
    public string Output { get; init; } = "bench/results";
    public string Name { get; init; } = $"cpu-vs-graphblas-{DateTime.UtcNow:yyyyMMdd-HHmm}";
    /// <summary>Use only the first M images of each image file (0: all).</summary>
    public int ImageLimit { get; init; }
    /// <summary>Image file used for every case instead of sparse-images-{N}.tsv (it must have N pixels).</summary>
    public string? Images { get; init; }

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
                "--image-limit" => o with { ImageLimit = int.Parse(value) },
                "--images" => o with { Images = value },
                var other => throw new ArgumentException($"Unknown option {other}. Options: --data --cases NxL,.. --repeat --threads --graphblas --out --name --image-limit --images"),
            };
        }
        if (o.Repeat < 1) throw new ArgumentException("--repeat must be at least 1.");
        return o;
    }

    private static (int, int) ParseCase(string text)
    {
        var parts = text.Split('x');
        if (parts.Length != 2) throw new ArgumentException($"A case is NxL, e.g. 1024x120, not \"{text}\".");
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }
}
