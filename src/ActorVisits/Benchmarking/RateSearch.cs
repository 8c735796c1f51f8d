namespace ActorVisits.Benchmarking;

/// <summary>The rate search's refining step.</summary>
internal static class RateSearch
{
    private const int Resolution = 1_000;

    /// <summary>
    /// The rate halfway between the highest sustained and the first not sustained, rounded to the nearest thousand
    /// (halves up); null when either is missing or nothing lies strictly between them at that resolution.
    /// </summary>
    public static int? Halfway(int? sustained, int? failed)
    {
        if (sustained is not { } low || failed is not { } high)
            return null;
        var middle = (int)Math.Round((low + (double)high) / 2 / Resolution, MidpointRounding.AwayFromZero) * Resolution;
        return middle > low && middle < high ? middle : null;
    }

    /// <summary>Null when <paramref name="rates"/> are positive and increasing, else why not.</summary>
    public static string? Invalid(IReadOnlyList<int> rates)
    {
        for (var i = 0; i < rates.Count; i++)
        {
            if (rates[i] <= 0)
                return $"--rates: {rates[i]} is not a positive rate (visits/s).";
            if (i > 0 && rates[i] <= rates[i - 1])
                return $"--rates: {rates[i]} after {rates[i - 1]}; the rates are tried in increasing order.";
        }
        return null;
    }
}
