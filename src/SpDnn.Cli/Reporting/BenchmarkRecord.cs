using System.Text.Json;
using System.Text.Json.Serialization;
using SpDnn.Engines.Gpu;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// One benchmark session: where and when it ran and every (network, engine) run. Stored as JSON
/// under bench/results/ and rendered by <c>spdnn report</c>.
/// </summary>
public sealed record BenchmarkRecord
{
    public const string CurrentSchema = "spdnn-bench/1";

    public string Schema { get; init; } = CurrentSchema;
    public required DateTimeOffset Date { get; init; }
    public required string Commit { get; init; }
    public required MachineInfo Machine { get; init; }
    public required IReadOnlyList<BenchmarkRun> Runs { get; init; }
    /// <summary>The GPU's copy ceiling measured in the same session (null: no GPU engine ran, or a record made before it was measured).</summary>
    public DeviceCopyCeiling? CopyCeiling { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static BenchmarkRecord FromJson(string json, string source)
    {
        BenchmarkRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<BenchmarkRecord>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new SpDnnDataException(source, $"not a benchmark record: {e.Message}", line: e.LineNumber + 1, inner: e);
        }
        if (record is null) throw new SpDnnDataException(source, "empty benchmark record");
        if (record.Schema != CurrentSchema) throw new SpDnnDataException(source, $"unknown schema '{record.Schema}', expected '{CurrentSchema}'");
        return record;
    }

    public static BenchmarkRecord Load(string path) => FromJson(File.ReadAllText(path), path);
}

/// <summary>The machine a record was measured on.</summary>
public sealed record MachineInfo(string Host, string OperatingSystem, string Cpu, int Cores, double MemoryGiB, string? Gpu);

/// <summary>One engine on one network: medians over the repeats, warm-up excluded, with the fastest and slowest repeat.</summary>
public sealed record BenchmarkRun
{
    public required string Engine { get; init; }
    /// <summary>The network family: null for the challenge networks, <see cref="GeneralFamily"/> for issue 14's general family.</summary>
    public string? Family { get; init; }
    public required int Neurons { get; init; }
    public required int Layers { get; init; }
    public required int Images { get; init; }
    public required double Edges { get; init; }
    public double LoadSeconds { get; init; }
    public double PlanningSeconds { get; init; }
    /// <summary>Median inference time over <see cref="InferenceSamples"/>.</summary>
    public required double InferenceSeconds { get; init; }
    public IReadOnlyList<double> InferenceSamples { get; init; } = [];
    /// <summary>Timed runs behind the median (warm-up excluded); records without samples count one.</summary>
    public int Repeats => Math.Max(1, InferenceSamples.Count);
    /// <summary>Fastest of the timed runs (the median when no samples are stored).</summary>
    public double InferenceMinSeconds => InferenceSamples.Count > 0 ? InferenceSamples.Min() : InferenceSeconds;
    /// <summary>Slowest of the timed runs (the median when no samples are stored).</summary>
    public double InferenceMaxSeconds => InferenceSamples.Count > 0 ? InferenceSamples.Max() : InferenceSeconds;
    public double TeraEdgesPerSecond => InferenceSeconds > 0 ? Edges / InferenceSeconds / 1e12 : 0;
    /// <summary>
    /// The median run's images into the engine's memory, outside <see cref="InferenceSeconds"/>
    /// (GPU: copying the images to the device and expanding them there); null in records made before it was recorded.
    /// </summary>
    public double? UploadSeconds { get; init; }
    /// <summary>Upload + inference of the median run: the images in host memory to the answer, planning excluded.</summary>
    public double? EndToEndSeconds => UploadSeconds + InferenceSeconds;
    /// <summary>The cold path: loading, planning and the first (untimed) run, from the start of loading to its categories.</summary>
    public TimeToAnswer? TimeToAnswer { get; init; }
    public required int Categories { get; init; }
    /// <summary>Whether the categories equal the truth; null when no truth was available.</summary>
    public bool? Passed { get; init; }
    public long PeakHostBytes { get; init; }
    public long? PeakDeviceBytes { get; init; }
    /// <summary>Per layer: live images, distinct live rows, seconds (from the median run).</summary>
    public IReadOnlyList<LayerPoint> LayerPoints { get; init; } = [];
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    [JsonIgnore]
    public string Network => $"{Neurons}x{Layers}";

    /// <summary>The network as tables name it: "1024 x 120", or "general 1024 x 120" for another family.</summary>
    [JsonIgnore]
    public string NetworkLabel => Family is null ? $"{Neurons} x {Layers}" : $"{Family} {Neurons} x {Layers}";

    public const string GeneralFamily = "general";
}

public sealed record LayerPoint(int Layer, int LiveImages, int DistinctRows, double Seconds);
