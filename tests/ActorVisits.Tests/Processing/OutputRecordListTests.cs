using System.Text;
using ActorVisits.Entities.Windows;
using ActorVisits.Kafka.Messages;
using ActorVisits.Processing;
using Akka.Actor;
using Confluent.Kafka;

namespace ActorVisits.Tests.Processing;

/// <summary>The records of a batch as the producer flow reads them: runs of updates made into records when read, and single records between.</summary>
public sealed class OutputRecordListTests
{
    private const long Now = 1_551_518_465;

    [Fact]
    public void Every_index_reads_its_own_record_with_its_owner_in_the_order_added()
    {
        var windows = WindowSet.Default;
        PartitionHandle Handle(int partition, int generation) =>
            new(new TopicPartition("visits", partition), epoch: 1, generation, _ => -1, ActorRefs.Nobody, Task.CompletedTask, new CancellationTokenSource(), 0, DateTimeOffset.UnixEpoch);
        var (first, second) = (Handle(3, 7), Handle(5, 9));
        WindowUpdate[] tv = [.. windows.Windows.Select((w, i) => new WindowUpdate("/store/tech/tv", w, 10 + i, Now, InputOffset: 40))];
        WindowUpdate[] books = [.. windows.Windows.Select((w, i) => new WindowUpdate("/store/books", w, 20 + i, Now + 1, InputOffset: 41))];
        var deadLetter = new ProducerRecord<byte[], OutputValue>("visits_dlq", [1, 2], OutputValue.Of([3, 4]));

        WindowUpdateList Answer(params WindowUpdate[][] byUrl)
        {
            var answer = new WindowUpdateList();
            foreach (var updates in byUrl)
                answer.Add(updates);
            return answer;
        }

        var list = new OutputRecordList(urls: 2);
        list.Add(deadLetter, owner: null);
        list.AddUpdates(Answer(tv, books), first);
        list.AddUpdates(Answer(), second);
        list.AddUpdates(Answer(tv[..1], []), second);
        var headers = new Headers { { "actorvisits.error", [1] } };
        var lateCopy = new ProducerRecord<byte[], OutputValue>("visits_late", [5], OutputValue.Of([6]), new Timestamp(1_000, TimestampType.CreateTime), headers);
        list.Add(lateCopy, second);

        Assert.Equal(1 + 6 + 1 + 1, list.Count);
        Assert.Equal(deadLetter, list[0]);
        Assert.Null(list.OwnerOf(0));
        for (var i = 0; i < 6; i++)
        {
            var update = i < 3 ? tv[i] : books[i - 3];
            var record = list[1 + i];
            Assert.Equal(update.Window.Topic, record.Topic);
            Assert.Equal(Encoding.UTF8.GetBytes(update.Url), record.Key);
            Assert.Equal(OutputValue.Of(update, 3, 7), record.Value);
            Assert.Equal(update.WindowEnd.ToUnixTimeMilliseconds(), record.Timestamp.UnixTimestampMs);
            Assert.Same(first, list.OwnerOf(1 + i));
        }
        // A URL's updates share one key array.
        Assert.Same(list[1].Key, list[3].Key);
        Assert.NotSame(list[3].Key, list[4].Key);
        Assert.Equal(OutputValue.Of(tv[0], 5, 9), list[7].Value);
        Assert.Same(second, list.OwnerOf(7));
        Assert.Equal(lateCopy, list[8]);
        Assert.Same(headers, list[8].Headers);
        Assert.Equal(1_000, list[8].Timestamp.UnixTimestampMs);
        Assert.Same(second, list.OwnerOf(8));
        // Read out of order too (the delivery thread reads any index): each index gives its own record.
        Assert.Equal(deadLetter, list[0]);
        Assert.Equal(OutputValue.Of(books[2], 3, 7), list[6].Value);
        Assert.Equal(list.Count, list.Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => list[9]);
    }
}
