using System.Globalization;
using SpDnn.Model;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// How long a user waits for the answer, split so that each second is counted once: for
/// <c>spdnn infer</c> from the start of the process to the categories written; for
/// <c>spdnn bench</c> from the start of loading a network to the categories of its first
/// (cold, untimed) run. <see cref="OtherSeconds"/> is what the named parts leave.
/// </summary>
public sealed record TimeToAnswer
{
    /// <summary>The whole wait.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>Process start to the command's first step: the runtime starting, parsing the command line (0 in bench).</summary>
    public double StartupSeconds { get; init; }

    /// <summary>Making or reading the network, the images and the truth (generation included when the data is not cached).</summary>
    public double LoadSeconds { get; init; }

    /// <summary>
    /// Planning on the critical path: the engine's <c>Plan</c> call and, when plans are built while
    /// earlier layers run, the time the run waited for them. Planning overlapped with inference is not in it.
    /// </summary>
    public double PlanSeconds { get; init; }

    /// <summary>The images into the engine's working memory (<see cref="InferenceResult.UploadSeconds"/>).</summary>
    public double UploadSeconds { get; init; }

    /// <summary>The engine's timed run less its waits for plans (those are in <see cref="PlanSeconds"/>).</summary>
    public double InferenceSeconds { get; init; }

    /// <summary>
    /// Of the whole wait, opening the engine (the GPU's device, its context and the kernels loaded
    /// at opening), in <see cref="OtherSeconds"/>; 0 where not measured (bench). The images are read
    /// meanwhile.
    /// </summary>
    public double EngineSeconds { get; init; }

    /// <summary>
    /// Reading the images and the truth, on another thread while the engine opens and plans
    /// (<c>infer</c>; 0 in bench): only what the run still waited for once planning had ended is
    /// in <see cref="LoadSeconds"/>.
    /// </summary>
    public double ImagesSeconds { get; init; }

    /// <summary>
    /// The rest: the runtime starting, opening the engine (the GPU's device and context), allocating
    /// the run's buffers, reading the answer out, checking the truth and writing the categories.
    /// </summary>
    public double OtherSeconds => Math.Max(0, TotalSeconds - LoadSeconds - PlanSeconds - UploadSeconds - InferenceSeconds);

    /// <summary>The split of a run: <paramref name="totalSeconds"/> measured around it, the parts from the engine.</summary>
    public static TimeToAnswer Of(double totalSeconds, double startupSeconds, double loadSeconds, double planningSeconds, InferenceResult result) => new()
    {
        TotalSeconds = totalSeconds,
        StartupSeconds = startupSeconds,
        LoadSeconds = loadSeconds,
        PlanSeconds = planningSeconds + result.PlanWaitSeconds,
        UploadSeconds = result.UploadSeconds,
        InferenceSeconds = Math.Max(0, result.InferenceSeconds - result.PlanWaitSeconds),
    };

    /// <summary>One line: the total, then each part.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string parts = string.Create(c, $"{TotalSeconds:F3} s: load {LoadSeconds:F3}, plan {PlanSeconds:F3} (exposed), upload {UploadSeconds:F3}, inference {InferenceSeconds:F3}, other {OtherSeconds:F3}");
        var of = new List<string>();
        if (StartupSeconds > 0) of.Add(string.Create(c, $"startup {StartupSeconds:F3}"));
        if (EngineSeconds > 0) of.Add(string.Create(c, $"engine open {EngineSeconds:F3}"));
        if (of.Count > 0) parts += $" (of it {string.Join(", ", of)})";
        return ImagesSeconds > 0 ? parts + string.Create(c, $"; images read in {ImagesSeconds:F3} beside") : parts;
    }
}
