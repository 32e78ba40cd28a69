using System.Text;

namespace SpDnn.Cli.Reporting;

/// <summary>
/// File names every file system and shell takes as they are: letters, digits, '.', '_' and '-'. An engine
/// spec such as <c>gpu:weights=streamed</c> would otherwise put ':' (illegal on Windows) and '=' into names.
/// </summary>
public static class PortableFileName
{
    /// <summary><paramref name="name"/> with every other character replaced by '-', runs of them by one.</summary>
    public static string Of(string name)
    {
        var s = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            bool portable = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
            if (portable) s.Append(c);
            else if (s.Length == 0 || s[^1] != '-') s.Append('-');
        }
        return s.ToString().Trim('-') is { Length: > 0 } result ? result : "unnamed";
    }
}
