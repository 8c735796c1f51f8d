namespace ActorVisits.Processing;

/// <summary>Which partition holds a URL cannot be told: the input's partition count could not be read.</summary>
public sealed class PartitionsUnknownException(string message, Exception? inner) : Exception(message, inner);
