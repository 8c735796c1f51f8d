namespace ActorVisits.Entities;

/// <summary>Makes realistic visits from a seeded random source, so a run can be replayed exactly.</summary>
public sealed class VisitFactory(UrlCatalogue catalogue, Random random)
{
    public Visit Next(DateTimeOffset now)
    {
        Span<byte> idBytes = stackalloc byte[16];
        random.NextBytes(idBytes);
        // Stamp version 4 / RFC 4122 variant bits so the id is a well-formed random UUID.
        idBytes[7] = (byte)(idBytes[7] & 0x0f | 0x40);
        idBytes[8] = (byte)(idBytes[8] & 0x3f | 0x80);
        var sourceIp = $"{random.Next(1, 224)}.{random.Next(0, 256)}.{random.Next(0, 256)}.{random.Next(1, 255)}";
        return new Visit(new Guid(idBytes), sourceIp, catalogue.Pick(random.NextDouble()), now);
    }
}
