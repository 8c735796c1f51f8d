namespace ActorVisits.Kafka.Settings;

/// <summary>A configuration value that cannot be used; the message names the key and says what is expected.</summary>
public sealed class InvalidConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
