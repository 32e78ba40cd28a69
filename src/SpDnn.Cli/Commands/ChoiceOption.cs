using System.CommandLine;

namespace SpDnn.Cli.Commands;

/// <summary>
/// An option taking one name of an enum, in lower case, with a plain message listing the names
/// when another is given (the parser's own message names the .NET type).
/// </summary>
internal static class ChoiceOption
{
    public static Option<T> Of<T>(string name, string description, T defaultValue) where T : struct, Enum => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)) return value;
            result.AddError($"{name} takes one of {Names<T>()}, not '{text}'.");
            return defaultValue;
        },
    };

    public static string Names<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
}
