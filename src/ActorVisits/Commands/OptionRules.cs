using System.CommandLine;

namespace ActorVisits.Commands;

/// <summary>Range checks for numeric options: a value out of range is a parse error (exit code 1, with the usage) naming the option.</summary>
internal static class OptionRules
{
    /// <summary>Refuses values below <paramref name="minimum"/>; returns the option.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, long minimum) =>
        option.Refusing(value => value < minimum, $"at least {minimum}");

    /// <summary>Refuses values above <paramref name="maximum"/>; returns the option.</summary>
    public static Option<T> AtMost<T>(this Option<T> option, long maximum) =>
        option.Refusing(value => value > maximum, $"at most {maximum}");

    /// <summary>A TCP port: 0 to 65535, 0 meaning what the option's description says.</summary>
    public static Option<T> Port<T>(this Option<T> option) => option.AtLeast(0).AtMost(65_535);

    /// <summary>Adds a validator refusing the values <paramref name="outside"/> says, as "--name must be <paramref name="rule"/> (got v)."</summary>
    private static Option<T> Refusing<T>(this Option<T> option, Func<long, bool> outside, string rule)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is { } value && outside(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)))
                result.AddError($"{option.Name} must be {rule} (got {value}).");
        });
        return option;
    }
}
