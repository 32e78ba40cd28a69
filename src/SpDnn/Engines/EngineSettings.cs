using System.Globalization;

namespace SpDnn.Engines;

/// <summary>
/// An engine's settings declared once, as rows (key, the values it takes, where it lives in the
/// options): the help text, reading an <see cref="EngineSpec"/> and writing the settings back for
/// reports all come from the same rows, so a new setting is one line.
/// </summary>
/// <typeparam name="TOptions">The engine's options record; the defaults are a fresh instance.</typeparam>
internal sealed class EngineSettings<TOptions> where TOptions : class, new()
{
    private sealed record Row(string Key, string Values, Func<EngineSpec, TOptions, TOptions> Read, Func<TOptions, string> Show);

    private readonly List<Row> _rows = [];

    /// <summary>An on/off setting.</summary>
    public EngineSettings<TOptions> Switch(string key, Func<TOptions, bool> get, Func<TOptions, bool, TOptions> set)
    {
        _rows.Add(new Row(key, "on|off", (spec, o) => spec.TakeSwitch(key) is { } v ? set(o, v) : o, o => get(o) ? "on" : "off"));
        return this;
    }

    /// <summary>A setting taking one name of <typeparamref name="TEnum"/> (lower case).</summary>
    public EngineSettings<TOptions> Choice<TEnum>(string key, Func<TOptions, TEnum> get, Func<TOptions, TEnum, TOptions> set) where TEnum : struct, Enum
    {
        string values = string.Join("|", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
        _rows.Add(new Row(key, values, (spec, o) => spec.TakeEnum<TEnum>(key) is { } v ? set(o, v) : o, o => get(o).ToString().ToLowerInvariant()));
        return this;
    }

    /// <summary>An integer setting of at least <paramref name="minimum"/>.</summary>
    public EngineSettings<TOptions> Integer(string key, int minimum, Func<TOptions, int> get, Func<TOptions, int, TOptions> set)
    {
        _rows.Add(new Row(key, $"N>={minimum}", (spec, o) => spec.TakeInt(key, minimum) is { } v ? set(o, v) : o,
            o => get(o).ToString(CultureInfo.InvariantCulture)));
        return this;
    }

    /// <summary>The keys in declaration order.</summary>
    public IEnumerable<string> Keys => _rows.Select(r => r.Key);

    /// <summary>For help texts: <c>key=values, ...</c>.</summary>
    public string Help => string.Join(", ", _rows.Select(r => $"{r.Key}={r.Values}"));

    /// <summary>The options <paramref name="spec"/> asks for, defaults elsewhere; a key no row declares is a usage error.</summary>
    public TOptions Read(EngineSpec spec)
    {
        var options = new TOptions();
        foreach (var row in _rows) options = row.Read(spec, options);
        spec.RejectUnknown(Help);
        return options;
    }

    /// <summary>The settings of <paramref name="options"/> that differ from the defaults, as a spec suffix (<c>:key=value...</c>).</summary>
    public string Suffix(TOptions options)
    {
        var defaults = new TOptions();
        return string.Concat(_rows.Select(r => (Mine: r.Show(options), Default: r.Show(defaults), r.Key))
            .Where(x => x.Mine != x.Default).Select(x => $":{x.Key}={x.Mine}"));
    }
}
