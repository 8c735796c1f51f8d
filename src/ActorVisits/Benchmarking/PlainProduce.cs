using Confluent.Kafka;

namespace ActorVisits.Benchmarking;

/// <summary>Producing as a plain client must: when librdkafka's queue is full, serve delivery reports and try again.</summary>
internal static class PlainProduce
{
    public static void WaitingForRoom<TKey, TValue>(IProducer<TKey, TValue> producer, string topic, Message<TKey, TValue> message,
        Action<DeliveryReport<TKey, TValue>> delivered)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, delivered);
                return;
            }
            catch (ProduceException<TKey, TValue> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }
}
