using System.Globalization;
using SpDnn.Formats;
using SpDnn.Formats.Idx;

namespace SpDnn.Cli.Infer;

/// <summary>
/// What a class read-out says about a batch: per class how many images were predicted (and, with
/// labels, how many carry that label and how many of those were right), and the accuracy.
/// </summary>
public sealed record Classification
{
    public required int[] PredictedPerClass { get; init; }
    public int[]? LabelledPerClass { get; init; }
    public int[]? CorrectPerClass { get; init; }
    public int? Correct { get; init; }
    public double? Accuracy { get; init; }

    public static Classification Of(int[] classes, int outputs, int[]? labels)
    {
        var predicted = new int[outputs];
        foreach (int c in classes) predicted[c]++;
        if (labels is null) return new Classification { PredictedPerClass = predicted };
        var labelled = new int[outputs];
        var correct = new int[outputs];
        int right = 0;
        for (int i = 0; i < classes.Length; i++)
        {
            labelled[labels[i]]++;
            if (labels[i] != classes[i]) continue;
            correct[labels[i]]++;
            right++;
        }
        return new Classification
        {
            PredictedPerClass = predicted,
            LabelledPerClass = labelled,
            CorrectPerClass = correct,
            Correct = right,
            Accuracy = classes.Length == 0 ? 0 : (double)right / classes.Length,
        };
    }

    /// <summary>Labels from an IDX labels file (gzip or not) or a text file of one class per line; checked against the images and classes.</summary>
    public static int[] ReadLabels(string path, int images, int outputs)
    {
        int[] labels;
        if (IdxFile.IsIdx(path)) labels = IdxFile.ReadLabels(path);
        else
        {
            var list = new List<int>();
            using var reader = new StreamReader(InputFile.OpenRead(path));
            int line = 0;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (text.Trim().Length == 0) continue;
                if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int label))
                    throw new SpDnnDataException(path, $"\"{text.Trim()}\" is not a class number", line);
                list.Add(label);
            }
            labels = [.. list];
        }
        if (labels.Length != images) throw new SpDnnDataException(path, $"{labels.Length} labels for {images} images");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)outputs) throw new SpDnnDataException(path, $"label {labels[i]} of image {i + 1} is not one of the model's {outputs} classes");
        return labels;
    }

    /// <summary>One class per line, line i for image i (in the order of the image file).</summary>
    public static void WritePredictions(string path, int[] classes) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true) { NewLine = "\n" };
        foreach (int c in classes) writer.WriteLine(c.ToString(CultureInfo.InvariantCulture));
    });
}
