using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

/// <summary>
/// The batch consumer on a real MassTransit bus (in-memory transport, with the in-place retry the worker's
/// endpoint has); the processing of each delivery and the re-send are scripted, as they are not under test.
/// </summary>
public sealed class DeliverWebhookBatchConsumerTests
{
    [Fact]
    public async Task A_delivery_that_fails_goes_back_alone_and_its_neighbours_are_not_run_again()
    {
        var script = new Script();
        var (a, b, c) = (Command("ep_a"), Command("ep_b"), Command("ep_c"));
        script.Behaviour = command => command == b ? throw new InvalidOperationException("database blip") : Task.CompletedTask;

        await using var host = await BatchHost.StartAsync(script);
        await host.SendAsync(new DeliverWebhookBatch { Deliveries = [a, b, c] });

        await script.Consumed.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.Equal(1, script.Faults);
        Assert.Equal(new[] { a.DeliveryId, b.DeliveryId, c.DeliveryId }.Order(), script.Processed.Order());
        Assert.Equal([b], script.SentBack);
    }

    [Fact]
    public async Task Deliveries_of_a_batch_run_side_by_side_so_a_slow_one_holds_only_itself()
    {
        var script = new Script();
        var (slow, fast) = (Command("ep_slow"), Command("ep_fast"));
        var fastDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The slow one finishes only after the fast one has: one after the other, this never ends.
        script.Behaviour = async command =>
        {
            if (command == slow)
            {
                await fastDone.Task;
            }
            else
            {
                fastDone.TrySetResult();
            }
        };

        await using var host = await BatchHost.StartAsync(script);
        try
        {
            await host.SendAsync(new DeliverWebhookBatch { Deliveries = [slow, fast] });
            await script.Consumed.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        }
        finally
        {
            fastDone.TrySetResult(); // never leave the bus a consumer it cannot stop
        }

        Assert.Equal(0, script.Faults);
        Assert.Empty(script.SentBack);
        Assert.Equal(new[] { slow.DeliveryId, fast.DeliveryId }.Order(), script.Processed.Order());
    }

    private static DeliverWebhook Command(string endpointId) => new()
    {
        DeliveryId = Guid.NewGuid(), EventId = "evt_1", EndpointId = endpointId, UserId = "user_1", Sequence = 1,
    };

    /// <summary>What the collaborators do and saw.</summary>
    private sealed class Script
    {
        public Func<DeliverWebhook, Task> Behaviour { get; set; } = _ => Task.CompletedTask;

        public ConcurrentBag<Guid> Processed { get; } = [];

        public ConcurrentQueue<DeliverWebhook> SentBack { get; } = new();

        /// <summary>Item failures the processor threw (each counted once per attempt).</summary>
        public int Faults;

        /// <summary>Set when the batch message was consumed without a fault (retries exhausted would fault it).</summary>
        public TaskCompletionSource Consumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ScriptedProcessor(Script script) : IDeliveryProcessor
    {
        public async Task ProcessAsync(DeliverWebhook command, ConsumeContext context)
        {
            script.Processed.Add(command.DeliveryId);
            try
            {
                await script.Behaviour(command);
            }
            catch
            {
                Interlocked.Increment(ref script.Faults);
                throw;
            }
        }
    }

    private sealed class RecordingDispatcher(Script script) : DeliveryDispatcher
    {
        protected override Task SendAsync<T>(ISendEndpointProvider sender, T message, string userId, CancellationToken cancellationToken)
        {
            script.SentBack.Enqueue(message as DeliverWebhook ?? throw new InvalidOperationException($"Sent back as {typeof(T).Name}, not as a single command."));
            return Task.CompletedTask;
        }
    }

    private sealed class ConsumedObserver(Script script) : IConsumeObserver
    {
        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            script.Consumed.TrySetResult();
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
        {
            script.Consumed.TrySetException(exception);
            return Task.CompletedTask;
        }
    }

    private sealed class BatchHost(IHost host) : IAsyncDisposable
    {
        public static async Task<BatchHost> StartAsync(Script script)
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddLogging();
            builder.Services.AddSingleton(script);
            builder.Services.AddSingleton<DeliveryTurns>();
            builder.Services.AddScoped<IDeliveryProcessor, ScriptedProcessor>();
            builder.Services.AddSingleton<IDeliveryDispatcher, RecordingDispatcher>();
            builder.Services.AddMassTransit(x =>
            {
                x.AddConsumer<DeliverWebhookBatchConsumer>().ExcludeFromConfigureEndpoints();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.ConnectConsumeObserver(new ConsumedObserver(script));
                    cfg.ReceiveEndpoint("deliveries", e =>
                    {
                        e.UseMessageRetry(r => r.Immediate(3)); // a rerun of the whole batch would show as extra processing
                        e.ConfigureConsumer<DeliverWebhookBatchConsumer>(context);
                    });
                });
            });
            var built = builder.Build();
            await built.StartAsync(TestContext.Current.CancellationToken);
            return new BatchHost(built);
        }

        public async Task SendAsync(DeliverWebhookBatch batch)
        {
            var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("queue:deliveries"));
            await endpoint.Send(batch, TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
