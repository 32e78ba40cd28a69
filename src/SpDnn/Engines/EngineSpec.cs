using System.Globalization;

namespace SpDnn.Engines;

/// <summary>
/// An engine named with settings, as the command line gives it: <c>name[:key=value]...</c>, e.g.
/// <c>gpu:weights=streamed:chunk=16</c>. Each engine takes the keys it knows and rejects the rest.
/// </summary>
public sealed class EngineSpec
{
    private readonly Dictionary<string, string> _settings;
    private readonly HashSet<string> _taken = new(StringComparer.OrdinalIgnoreCase);

    private EngineSpec(string name, Dictionary<string, string> settings)
    {
        Name = name;
        _settings = settings;
    }

    /// <summary>The engine's name, before the first colon.</summary>
    public string Name { get; }

    /// <summary>Whether any <c>key=value</c> setting was given.</summary>
    public bool HasSettings => _settings.Count > 0;

    /// <summary>Parses <c>name[:key=value]...</c>; keys are case-insensitive, and a malformed or repeated setting is a usage error.</summary>
    public static EngineSpec Parse(string text)
    {
        var parts = text.Split(':');
        var name = parts[0].Trim();
        if (name.Length == 0) throw new SpDnnUsageException($"No engine name in \"{text}\".");
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw new SpDnnUsageException($"Engine setting \"{part}\" in \"{text}\" is not key=value.");
            var key = part[..eq].Trim();
            if (!settings.TryAdd(key, part[(eq + 1)..].Trim()))
                throw new SpDnnUsageException($"Engine setting \"{key}\" is given twice in \"{text}\".");
        }
        return new EngineSpec(name, settings);
    }

    /// <summary>The same engine and settings with <paramref name="key"/> set to <paramref name="value"/> (replacing any given).</summary>
    public EngineSpec With(string key, string value)
    {
        var settings = new Dictionary<string, string>(_settings, StringComparer.OrdinalIgnoreCase) { [key] = value };
        return new EngineSpec(Name, settings);
    }

    /// <summary>The value of <paramref name="key"/>, or null when not given.</summary>
    public string? Take(string key)
    {
        _taken.Add(key);
        return _settings.TryGetValue(key, out var value) ? value : null;
    }

    /// <summary>The integer value of <paramref name="key"/>, or null when not given; a value below <paramref name="minimum"/> is a usage error.</summary>
    public int? TakeInt(string key, int minimum)
    {
        var text = Take(key);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
            throw new SpDnnUsageException($"Engine setting {key}={text}: expected an integer of at least {minimum}.");
        return value;
    }

    /// <summary>The on/off value of <paramref name="key"/> (also true/false, yes/no), or null when not given.</summary>
    public bool? TakeSwitch(string key)
    {
        var text = Take(key);
        return text?.ToLowerInvariant() switch
        {
            null => null,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new SpDnnUsageException($"Engine setting {key}={text}: expected on or off."),
        };
    }

    /// <summary>The value of <paramref name="key"/> as a member of <typeparamref name="T"/> by name (not number), or null when not given.</summary>
    public T? TakeEnum<T>(string key) where T : struct, Enum
    {
        var text = Take(key);
        if (text is null) return null;
        if (!Enum.TryParse<T>(text, ignoreCase: true, out var value) || !Enum.IsDefined(value) || int.TryParse(text, out _))
            throw new SpDnnUsageException($"Engine setting {key}={text}: expected one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return value;
    }

    /// <summary>Fails on any setting the engine did not take.</summary>
    public void RejectUnknown(string known)
    {
        var unknown = _settings.Keys.Where(k => !_taken.Contains(k)).ToArray();
        if (unknown.Length > 0)
            throw new SpDnnUsageException($"The {Name} engine has no setting {string.Join(", ", unknown)} ({known}).");
    }
}
