using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RewardEvents.Fleet.Messaging;

/// <summary>A queue as the broker sees it: how many consumers it has and how many messages wait in it.</summary>
internal readonly record struct QueueState(uint Consumers, uint Ready);

/// <summary>Asks the broker about a queue: a view that does not depend on the bus's own idea of its endpoints.</summary>
internal interface IQueueProbe
{
    /// <summary>The queue's state, or null when the broker cannot be asked right now.</summary>
    Task<QueueState?> GetAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>
/// A passive queue declaration on a connection of its own (not the bus's), so it answers whatever
/// state the bus's connection is in. A missing queue closes the channel; the next call opens another.
/// </summary>
internal sealed partial class RabbitMqQueueProbe(
    IConfiguration configuration, BrokerReconnections reconnections, TimeProvider time, ILogger<RabbitMqQueueProbe> logger)
    : IQueueProbe, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    // When a connection that was open was found closed; the next one opened counts as a reconnection.
    private DateTime? _lostAt;

    public async Task<QueueState?> GetAsync(string queue, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                {
                    _lostAt ??= time.GetUtcNow().UtcDateTime;
                }

                await CloseAsync();
                var factory = BrokerConnection.Factory(configuration, "rewardevents-queue-probe");
                factory.RequestedConnectionTimeout = TimeSpan.FromSeconds(5);
                _connection = await factory.CreateConnectionAsync(cancellationToken);
                if (_lostAt is { } lostAt)
                {
                    _lostAt = null;
                    reconnections.Record(lostAt);
                    LogReconnected();
                }
            }

            if (_channel is not { IsOpen: true })
            {
                _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            }

            var declared = await _channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return new QueueState(declared.ConsumerCount, declared.MessageCount);
        }
        catch (Exception ex) when (BrokerConnection.IsUnavailable(ex))
        {
            LogProbeFailed(queue, ex.Message);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    private async Task CloseAsync()
    {
        try
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception ex) when (ex is RabbitMQClientException or IOException or ObjectDisposedException)
        {
            LogProbeFailed("(closing)", ex.Message);
        }

        _connection = null;
        _channel = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the broker again after losing the connection")]
    private partial void LogReconnected();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not ask the broker about queue {Queue}: {Reason}")]
    private partial void LogProbeFailed(string queue, string reason);
}
