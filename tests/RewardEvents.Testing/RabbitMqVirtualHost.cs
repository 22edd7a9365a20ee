namespace RewardEvents.Testing;

/// <summary>A fresh, empty virtual host on the test broker that only the test that asked for it uses.</summary>
/// <param name="AmqpUri">amqp://user:password@host:port/vhost with the vhost URL-encoded; feed it to MassTransit's <c>cfg.Host(new Uri(...))</c>.</param>
public sealed record RabbitMqVirtualHost(
    string AmqpUri,
    string Host,
    int Port,
    string VirtualHost,
    string Username,
    string Password);
