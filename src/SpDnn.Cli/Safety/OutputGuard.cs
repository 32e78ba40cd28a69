namespace SpDnn.Cli.Safety;

/// <summary>
/// Refuses, before any work, an output that is one of the command's inputs under another name
/// or through a link (<c>--categories-out</c> pointed at <c>--images</c> once replaced the images,
/// and at <c>--truth</c> made the next check pass).
/// </summary>
public static class OutputGuard
{
    /// <param name="inputs">(option, path) of every input; null paths (options not given) are skipped.</param>
    /// <param name="outputs">(option, path) of every file or folder the command will write.</param>
    public static void Check(IEnumerable<(string Option, string? Path)> inputs, IEnumerable<(string Option, string? Path)> outputs)
    {
        var resolved = inputs.Where(i => i.Path is not null).Select(i => (i.Option, i.Path, Real: RealPath.Of(i.Path!))).ToArray();
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            string real = RealPath.Of(path);
            foreach (var input in resolved)
                if (string.Equals(real, input.Real, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
                    throw new SpDnnUsageException(real == Path.GetFullPath(path) && real == Path.GetFullPath(input.Path!)
                        ? $"{option} {path} is the {input.Option} input: an output must not replace an input"
                        : $"{option} {path} is the {input.Option} input {input.Path} (both lead to {real}): an output must not replace an input");
        }
    }

    public static void Check(string option, string? output, params (string Option, string? Path)[] inputs) => Check(inputs, [(option, output)]);
}
