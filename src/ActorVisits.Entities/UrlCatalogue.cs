namespace ActorVisits.Entities;

/// <summary>
/// MediaSeller's catalogue pages with Zipf-distributed popularity: page of rank k is visited in proportion to 1/k^s,
/// so a few pages (the TV page, the best sellers) take most of the traffic, as on a real shop.
/// </summary>
public sealed class UrlCatalogue
{
    private static readonly (string Department, string[] Products)[] Departments =
    [
        ("tech", ["tv", "laptop", "phone", "tablet", "headphones", "smartwatch", "console", "speaker", "monitor", "router"]),
        ("cameras", ["reflex", "mirrorless", "compact", "action", "lens-50mm", "lens-zoom", "tripod", "drone", "flash", "bag"]),
        ("books", ["novels", "thrillers", "science", "history", "cooking", "travel", "comics", "children", "poetry", "business"]),
        ("music", ["vinyl", "cd", "guitar", "piano", "microphone", "dj", "drums", "violin", "ukulele", "studio"]),
        ("home", ["coffee", "vacuum", "kettle", "blender", "lamp", "heater", "fan", "oven", "fridge", "robot"]),
    ];

    private readonly string[] _urls;
    private readonly double[] _cumulative;

    public UrlCatalogue(int size, double exponent = 1.1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        _urls = Enumerable.Range(0, size).Select(UrlAt).ToArray();
        _cumulative = new double[size];
        var total = 0.0;
        for (var rank = 0; rank < size; rank++)
        {
            total += 1.0 / Math.Pow(rank + 1, exponent);
            _cumulative[rank] = total;
        }
        for (var rank = 0; rank < size; rank++)
            _cumulative[rank] /= total;
    }

    public IReadOnlyList<string> Urls => _urls;

    /// <summary>Draws a URL; <paramref name="uniform"/> is a number in [0, 1).</summary>
    public string Pick(double uniform)
    {
        var index = Array.BinarySearch(_cumulative, uniform);
        if (index < 0)
            index = ~index;
        return _urls[Math.Min(index, _urls.Length - 1)];
    }

    /// <summary>Rank 0 is <c>/store/tech/tv</c>; after the 50 department pages come numbered product variants.</summary>
    private static string UrlAt(int rank)
    {
        var pagesPerRound = Departments.Length * Departments[0].Products.Length;
        var round = rank / pagesPerRound;
        var withinRound = rank % pagesPerRound;
        var product = withinRound / Departments.Length;
        var (department, products) = Departments[withinRound % Departments.Length];
        var page = $"/store/{department}/{products[product]}";
        return round == 0 ? page : $"{page}/{round}";
    }
}
