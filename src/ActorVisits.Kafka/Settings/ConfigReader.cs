using Akka.Configuration;

namespace ActorVisits.Kafka.Settings;

/// <summary>Typed, validated reads of one HOCON section; every failure names the full key.</summary>
public sealed class ConfigReader(Config config, string section)
{
    public ConfigReader Section(string name) => new(config, $"{section}.{name}");

    public string String(string key) =>
        Read(key, path => config.GetString(path, null)) is { Length: > 0 } value ? value : throw Invalid(key, "must not be empty");

    /// <summary>A string that may be empty or absent: null then.</summary>
    public string? OptionalString(string key)
    {
        var path = $"{section}.{key}";
        return config.HasPath(path) && Read(key, p => config.GetString(p, null)) is { Length: > 0 } value ? value : null;
    }

    public int PositiveInt(string key)
    {
        var value = Read(key, path => config.GetInt(path));
        return value > 0 ? value : throw Invalid(key, $"must be a positive whole number (got {value})");
    }

    /// <summary>A TCP port, 1 to 65535, or 0 when <paramref name="zeroMeansAnyFree"/>.</summary>
    public int Port(string key, bool zeroMeansAnyFree = false)
    {
        var value = Read(key, path => config.GetInt(path));
        return value is > 0 and <= 65535 || (zeroMeansAnyFree && value == 0)
            ? value
            : throw Invalid(key, $"must be a port from 1 to 65535{(zeroMeansAnyFree ? ", or 0 for any free port" : "")} (got {value})");
    }

    public IReadOnlyList<string> StringList(string key) => Read(key, path => config.GetStringList(path).ToList());

    /// <summary>on/off, true/false or yes/no.</summary>
    public bool Boolean(string key) => Read(key, path => config.GetBoolean(path));

    public TimeSpan PositiveDuration(string key)
    {
        var value = Read(key, path => config.GetTimeSpan(path, null, allowInfinite: false));
        return value > TimeSpan.Zero ? value : throw Invalid(key, $"must be a positive duration such as 500ms or 10s (got {value})");
    }

    /// <summary>An object of string values, such as librdkafka properties.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string key)
    {
        var path = $"{section}.{key}";
        if (!config.HasPath(path))
            return new Dictionary<string, string>();
        return Read(key, p => config.GetConfig(p).AsEnumerable().ToDictionary(pair => pair.Key.Trim('"'), pair => pair.Value.GetString()));
    }

    /// <summary>The keys of an object, such as the names of the windows.</summary>
    public IReadOnlyList<string> ObjectKeys(string key) =>
        Read(key, path => config.GetConfig(path).Root.GetObject().Items.Keys.Select(k => k.Trim('"')).ToList());

    private T Read<T>(string key, Func<string, T> read)
    {
        var path = $"{section}.{key}";
        if (!config.HasPath(path))
            throw Invalid(key, "is missing");
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is not InvalidConfigurationException)
        {
            throw new InvalidConfigurationException($"Configuration key '{path}' cannot be read: {e.Message}", e);
        }
    }

    private InvalidConfigurationException Invalid(string key, string problem) => new($"Configuration key '{section}.{key}' {problem}.");
}
