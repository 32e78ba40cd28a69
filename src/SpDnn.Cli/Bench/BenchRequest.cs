namespace SpDnn.Cli.Bench;

/// <summary>What <c>spdnn bench</c> was asked to measure.</summary>
public sealed record BenchRequest
{
    /// <summary>The challenge networks or the general family (issue 14).</summary>
    public NetworkFamily Family { get; init; } = NetworkFamily.Challenge;
    public required IReadOnlyList<int> Neurons { get; init; }
    public required IReadOnlyList<int> Layers { get; init; }
    public required IReadOnlyList<string> Engines { get; init; }
    /// <summary>Timed runs per engine and network, after one untimed warm-up run.</summary>
    public int Repeat { get; init; } = 5;
    /// <summary>Use the first this many of the 60000 challenge images.</summary>
    public int Images { get; init; } = 60000;
    /// <summary>Image files to use instead of the generated challenge images for their N (e.g. the official files).</summary>
    public IReadOnlyList<string> ImageFiles { get; init; } = [];
    /// <summary>Folders searched for <c>neuron{N}-l{L}-categories.tsv</c>.</summary>
    public IReadOnlyList<string> TruthFolders { get; init; } = [];
    /// <summary>General family: the truth files written cover the first this many images (categories and final rows).</summary>
    public int TruthImages { get; init; } = 2000;
    /// <summary>Write the categories of a reference or cpu run as the truth file where none exists.</summary>
    public string? WriteTruthTo { get; init; }
    public required string OutputFolder { get; init; }
    public required string Name { get; init; }
    public int Threads { get; init; }
    /// <summary>Folder of planned-layout caches (GPU engine); null: plan every time.</summary>
    public string? PlanCache { get; init; }
}
