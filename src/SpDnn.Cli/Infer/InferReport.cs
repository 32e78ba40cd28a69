using System.Text.Json.Serialization;
using SpDnn.Cli.Reporting;

namespace SpDnn.Cli.Infer;

/// <summary>The one JSON record of <c>spdnn infer --json</c>.</summary>
public sealed record InferReport
{
    public required string Engine { get; init; }
    public required string Network { get; init; }
    public required string ImagesPath { get; init; }
    public required int Neurons { get; init; }
    public required int Layers { get; init; }
    public required int Images { get; init; }
    /// <summary>Total nonzero weights over all layers.</summary>
    public required long Weights { get; init; }
    /// <summary>Images x weights: the challenge's edge count.</summary>
    public required double Edges { get; init; }
    public required double LoadSeconds { get; init; }
    public required double PlanningSeconds { get; init; }
    /// <summary>The engine's timed run (planning and upload excluded): what TE/s divides by.</summary>
    public required double InferenceSeconds { get; init; }
    /// <summary>The images into the engine's memory, outside <see cref="InferenceSeconds"/> (see docs/timing.md).</summary>
    public double UploadSeconds { get; init; }
    /// <summary><see cref="UploadSeconds"/> + <see cref="InferenceSeconds"/>.</summary>
    public double EndToEndSeconds { get; init; }
    /// <summary>Of <see cref="InferenceSeconds"/>, waiting for layer plans still being built.</summary>
    public double PlanWaitSeconds { get; init; }
    /// <summary>From the start of the process to the categories written, split into its parts.</summary>
    public TimeToAnswer? TimeToAnswer { get; init; }
    public required double TeraEdgesPerSecond { get; init; }
    /// <summary>Number of categories (surviving images).</summary>
    public required int Categories { get; init; }
    /// <summary>The categories themselves: the ascending 1-based numbers of the surviving images.</summary>
    public required int[] CategoryImages { get; init; }
    public required int[] LiveImagesPerLayer { get; init; }
    public int Threads { get; init; }
    public string? Truth { get; init; }
    /// <summary>Present when a truth was given.</summary>
    public bool? Passed { get; init; }
    public int? ExpectedCategories { get; init; }
    public int? Missing { get; init; }
    public int? Unexpected { get; init; }
    public IReadOnlyDictionary<string, string>? Details { get; init; }
    /// <summary>Images per second of inference (every image, all layers).</summary>
    public double ImagesPerSecond { get; init; }
    /// <summary>With a class read-out: predicted (and labelled, correct) counts per class and the accuracy.</summary>
    public Classification? Classification { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InferReport))]
public sealed partial class InferReportJson : JsonSerializerContext;
