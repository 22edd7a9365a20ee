using BenchmarkDotNet.Attributes;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;
using RewardEvents.Contracts;

namespace RewardEvents.Benchmarks.Micro;

/// <summary>
/// A router-to-worker <see cref="DeliverWebhookBatch"/> (one event to three endpoints) written and read by
/// MassTransit's serializers: its default envelope, and the plain JSON the dispatcher sends on the partition
/// queues (headers in the transport's headers instead).
/// </summary>
[MemoryDiagnoser]
public class MessageSerializationBenchmarks
{
    private static readonly Uri Source = new("rabbitmq://localhost/routing-state");
    private static readonly Uri Destination = new("rabbitmq://localhost/rewardevents.deliveries");

    private readonly DeliverWebhookBatch _batch = new()
    {
        Deliveries = Enumerable.Range(0, 3).Select(i => new DeliverWebhook
        {
            DeliveryId = NewId.NextGuid(),
            EventId = "evt_000000123",
            EndpointId = $"ep_2Kc9bench{i}",
            UserId = "user_000042",
            Sequence = 7,
        }).ToList(),
    };

    private readonly SystemTextJsonMessageSerializer _envelope = SystemTextJsonMessageSerializer.Instance;
    private readonly SystemTextJsonRawMessageSerializer _raw = new(RawSerializerOptions.Default);
    private (byte[] Body, Headers Headers) _envelopeMessage;
    private (byte[] Body, Headers Headers) _rawMessage;

    [GlobalSetup]
    public void Setup()
    {
        _envelopeMessage = Write(_envelope);
        _rawMessage = Write(_raw);
        if (Read(_envelope, _envelopeMessage)?.Deliveries.Count != 3 || Read(_raw, _rawMessage)?.Deliveries.Count != 3)
        {
            throw new InvalidOperationException("A serializer did not read back the batch it wrote.");
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] Envelope_write() => Write(_envelope).Body;

    [Benchmark]
    public byte[] Raw_json_write() => Write(_raw).Body;

    [Benchmark]
    public DeliverWebhookBatch? Envelope_read() => Read(_envelope, _envelopeMessage);

    [Benchmark]
    public DeliverWebhookBatch? Raw_json_read() => Read(_raw, _rawMessage);

    private (byte[] Body, Headers Headers) Write(IMessageSerializer serializer)
    {
        var context = new MessageSendContext<DeliverWebhookBatch>(_batch)
        {
            MessageId = NewId.NextGuid(),
            ConversationId = NewId.NextGuid(),
            SourceAddress = Source,
            DestinationAddress = Destination,
        };
        var body = serializer.GetMessageBody(context).GetBytes();
        // What the transport carries beside the body (the raw serializer puts the message type there).
        var headers = new DictionarySendHeaders(new Dictionary<string, object?>());
        foreach (var header in context.Headers.GetAll())
        {
            headers.Set(header.Key, header.Value);
        }

        return (body, headers);
    }

    private static DeliverWebhookBatch? Read(IMessageDeserializer deserializer, (byte[] Body, Headers Headers) message) =>
        deserializer.Deserialize(new BytesMessageBody(message.Body), message.Headers, Destination)
            .TryGetMessage<DeliverWebhookBatch>(out var batch) ? batch : null;
}
