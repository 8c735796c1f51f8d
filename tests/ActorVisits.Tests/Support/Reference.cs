using ActorVisits.Entities.Windows;

namespace ActorVisits.Tests.Support;

/// <summary>What the processor must output for an <see cref="InputStream"/>, recounted naively from the visits.</summary>
public static class Reference
{
    /// <summary>Per (URL, window): the visits of whole seconds floor(T)-N+1 .. floor(T), T the stream time of the URL's partition.</summary>
    public static Dictionary<(string Url, string Window), int> Recount(InputStream input, Dictionary<string, int> partitionOf, WindowSet windows)
    {
        var counted = input.Valid.Where(v => !input.Late.Contains(v.Index)).Select(v => v.Visit).ToList();
        var streamSecond = counted.GroupBy(v => partitionOf[v.Url]).ToDictionary(g => g.Key, g => g.Max(v => v.Timestamp.ToUnixTimeSeconds()));
        var result = new Dictionary<(string, string), int>();
        foreach (var url in counted.Select(v => v.Url).Distinct())
        {
            var now = streamSecond[partitionOf[url]];
            foreach (var window in windows.Windows)
                result[(url, window.Name)] = counted.Count(v => v.Url == url && v.Timestamp.ToUnixTimeSeconds() > now - window.Seconds && v.Timestamp.ToUnixTimeSeconds() <= now);
        }
        return result;
    }
}
