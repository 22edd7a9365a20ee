using System.Collections.Concurrent;
using MassTransit;

namespace RewardEvents.UnitTests.Sagas;

/// <summary>Records the exceptions that made UseMessageRetry retry, and messages that finally faulted.</summary>
public sealed class MessageLog : IRetryObserver, IReceiveObserver
{
    public ConcurrentQueue<Exception> Retried { get; } = new();
    public ConcurrentQueue<(object Message, Exception Exception)> Faulted { get; } = new();

    public Task PostCreate<T>(RetryPolicyContext<T> context) where T : class, PipeContext => Task.CompletedTask;
    public Task PostFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public Task PreRetry<T>(RetryContext<T> context) where T : class, PipeContext
    {
        Retried.Enqueue(context.Exception);
        return Task.CompletedTask;
    }

    public Task RetryFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;
    public Task RetryComplete<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class
    {
        Faulted.Enqueue((context.Message, exception));
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
}
