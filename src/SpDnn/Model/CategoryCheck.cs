namespace SpDnn.Model;

/// <summary>Compares computed categories with a truth list.</summary>
public sealed record CategoryCheck(bool Passed, int Expected, int Actual, int[] Missing, int[] Unexpected)
{
    /// <summary>Compares as sets and by count, so a duplicate in <paramref name="actual"/> fails the check too.</summary>
    public static CategoryCheck Compare(IReadOnlyList<int> truth, IReadOnlyList<int> actual)
    {
        var t = new HashSet<int>(truth);
        var a = new HashSet<int>(actual);
        int[] missing = [.. truth.Where(x => !a.Contains(x)).Order()];
        int[] unexpected = [.. actual.Where(x => !t.Contains(x)).Order()];
        bool passed = missing.Length == 0 && unexpected.Length == 0 && truth.Count == actual.Count;
        return new CategoryCheck(passed, truth.Count, actual.Count, missing, unexpected);
    }

    /// <summary>One line for a console: PASSED with the count, or what differs (the first ten missing and unexpected).</summary>
    public override string ToString() => Passed
        ? $"challenge PASSED ({Actual} categories)"
        : $"challenge FAILED: expected {Expected} categories, got {Actual}; {Missing.Length} missing (first {string.Join(",", Missing.Take(10))}), {Unexpected.Length} unexpected (first {string.Join(",", Unexpected.Take(10))})";
}
