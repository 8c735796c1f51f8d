using System.CommandLine;

namespace ActorVisits.Commands;

/// <summary>Range checks for numeric options: a value out of range is a parse error (exit code 1, with the usage) naming the option.</summary>
internal static class OptionRules
{
    /// <summary>Refuses values below <paramref name="minimum"/>; returns the option.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, long minimum)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is { } value && Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) < minimum)
                result.AddError($"{option.Name} must be at least {minimum} (got {value}).");
        });
        return option;
    }

    /// <summary>Refuses values above <paramref name="maximum"/>; returns the option.</summary>
    public static Option<T> AtMost<T>(this Option<T> option, long maximum)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is { } value && Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) > maximum)
                result.AddError($"{option.Name} must be at most {maximum} (got {value}).");
        });
        return option;
    }

    /// <summary>A TCP port: 0 to 65535, 0 meaning what the option's description says.</summary>
    public static Option<T> Port<T>(this Option<T> option) => option.AtLeast(0).AtMost(65_535);
}
