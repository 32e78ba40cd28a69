using System.Globalization;

namespace SpDnn.Bench.Onnx;

/// <summary>Command-line settings of the ONNX Runtime comparison (see Program.cs).</summary>
internal sealed record Settings
{
    public required string[] Models { get; init; }
    public required string Images { get; init; }
    public string? Labels { get; init; }
    public required string[] Engines { get; init; }
    public int Repeat { get; init; } = 5;

    /// <summary>Thread counts to compare at, each for both sides; 0 is every core of the machine.</summary>
    public required int[] Threads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's threads may go on spinning after each run (its default), taking the
    /// cores from the runner whose turn follows; false sets its "session.force_spinning_stop".
    /// </summary>
    public bool OrtSpinAfterRun { get; init; }

    /// <summary>The commit measured (reports); "git rev-parse" of the repository when not given.</summary>
    public string? Commit { get; init; }
    public required string Out { get; init; }
    public required string Name { get; init; }

    public static Settings Parse(string[] args)
    {
        string root = FindRoot();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected --name value pairs, got \"{args[i]}\".");
            values[args[i][2..]] = args[++i];
        }
        string Get(string key, string fallback) => values.Remove(key, out var v) ? v : fallback;
        var models = Get("model", $"{root}/data/models/mnist-mlp-300-100-pruned90.onnx,{root}/data/models/mnist-mlp-4x4096-pruned95.onnx");
        var settings = new Settings
        {
            Models = models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Images = Get("images", $"{root}/data/mnist/t10k-images-idx3-ubyte.gz"),
            Labels = Get("labels", $"{root}/data/mnist/t10k-labels-idx1-ubyte.gz"),
            Engines = Get("engines", "cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Repeat = int.Parse(Get("repeat", "5"), CultureInfo.InvariantCulture),
            Threads = [.. Get("threads", "1,0").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.Parse(t, CultureInfo.InvariantCulture))],
            OrtSpinAfterRun = Get("ort-spin-after-run", "no") switch
            {
                "yes" => true,
                "no" => false,
                var other => throw new ArgumentException($"--ort-spin-after-run takes yes or no, got \"{other}\"."),
            },
            Commit = values.Remove("commit", out var commit) ? commit : null,
            Out = Get("out", Path.Combine(root, "bench", "results")),
            Name = Get("name", $"onnx-peer-{DateTime.UtcNow:yyyyMMdd-HHmm}-{Environment.MachineName}"),
        };
        if (values.Count > 0) throw new ArgumentException($"Unknown settings: {string.Join(", ", values.Keys.Select(k => "--" + k))}.");
        if (settings.Repeat < 1) throw new ArgumentException("--repeat must be at least 1.");
        if (settings.Threads.Length == 0 || settings.Threads.Any(t => t < 0)) throw new ArgumentException("--threads takes counts >= 0 (0: every core).");
        return settings;
    }

    /// <summary>The repository root (the folder with SpDnn.slnx) above the working folder or the program; the working folder when there is none (a published copy).</summary>
    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SpDnn.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
