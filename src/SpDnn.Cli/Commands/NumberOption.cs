using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SpDnn.Cli.Commands;

/// <summary>
/// Numeric options that parse and range-check their own value. The parser's default message
/// names .NET types (<c>System.Nullable`1[System.Single]</c>), and a validator reading a value
/// that failed to parse throws; here a bad value is one plain sentence and exit code 2, and no
/// value outside its range reaches a command (<c>--threads 100000</c> once reached a barrier).
/// Every numeric option of spdnn is made here (a test walks the commands to check).
/// </summary>
internal static class NumberOption
{
    /// <summary>More threads than this only add barrier cost (and a Barrier takes at most 32767).</summary>
    public const int MaxThreads = 1024;

    /// <summary>Far beyond the challenge's 1920 layers; bounds what a typing slip can ask for.</summary>
    public const int MaxLayers = 1_000_000;

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<int> Int(string name, string description, int min, int max, int? defaultValue, params string[] aliases)
    {
        var option = new Option<int>(name, aliases)
        {
            Description = description,
            CustomParser = result => ParseInt(result, name, min, max) ?? 0,
        };
        if (defaultValue is { } value) option.DefaultValueFactory = _ => value;
        else option.Required = true;
        return option;
    }

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>, or null when not given.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, int max) => new(name)
    {
        Description = description,
        CustomParser = result => ParseInt(result, name, min, max),
    };

    /// <summary>Whole numbers in <paramref name="min"/>..<paramref name="max"/>, several per token allowed.</summary>
    public static Option<int[]> IntList(string name, string description, int min, int max, int[] defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => [.. result.Tokens.Select(t => ParseInt(t.Value, result, name, min, max) ?? 0)],
    };

    /// <summary>A 64-bit integer in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<long> Long(string name, string description, long min, long max, long defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = Single(result);
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            {
                result.AddError($"{name} takes a whole number from {min} to {max}, not '{text}'.");
                return 0;
            }
            return value;
        },
    };

    /// <summary>A finite number, or null when not given.</summary>
    public static Option<float?> OptionalReal(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = Single(result);
            if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)) return value;
            result.AddError($"{name} takes a finite number such as -0.3, not '{text}'.");
            return null;
        },
    };

    /// <summary>A number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<double> Real(string name, string description, double min, double max, double defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = Single(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max) return value;
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} takes a number from {min} to {max}, not '{text}'."));
            return 0;
        },
    };

    private static int? ParseInt(ArgumentResult result, string name, int min, int max) => ParseInt(Single(result), result, name, min, max);

    private static int? ParseInt(string text, ArgumentResult result, string name, int min, int max)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max) return value;
        result.AddError($"{name} takes a whole number from {min} to {max}, not '{text}'.");
        return null;
    }

    // The option's arity is one value; the parser has already rejected a missing value.
    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
