using System.Collections.Concurrent;
using System.Text;
using RewardEvents.Testing.Internal;
using Testcontainers.RabbitMq;
using Xunit;

namespace RewardEvents.Testing;

/// <summary>
/// A real RabbitMQ with the consistent-hash exchange plugin, shared by a whole test run
/// (<c>[assembly: AssemblyFixture(typeof(RabbitMqBroker))]</c>). Tests isolate themselves with
/// <see cref="CreateVirtualHostAsync"/>.
/// </summary>
/// <remarks>
/// Where the broker comes from, first match wins:
/// <list type="number">
/// <item><c>REWARDEVENTS_TEST_RABBITMQ</c> (amqp://user:password@host:port/) names a running broker; its
/// management API is at <c>REWARDEVENTS_TEST_RABBITMQ_MANAGEMENT</c> (default http://host:15672/, same
/// credentials). Vhosts created there are deleted again at the end.</item>
/// <item>A Docker engine answers: a Testcontainers RabbitMQ.</item>
/// <item>The Debian package is installed: a node started from it in a temp dir on free ports.</item>
/// </list>
/// </remarks>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    public const string UriVariable = "REWARDEVENTS_TEST_RABBITMQ";
    public const string ManagementUriVariable = "REWARDEVENTS_TEST_RABBITMQ_MANAGEMENT";

    private readonly ConcurrentBag<string> _virtualHosts = [];
    private LocalRabbitMqNode? _local;
    private RabbitMqContainer? _container;
    private RabbitMqManagementClient? _management;
    private bool _shared;

    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; }

    public string Username { get; private set; } = "guest";

    public string Password { get; private set; } = "guest";

    /// <summary>Where the broker came from: "environment", "container" or "local process".</summary>
    public string Origin { get; private set; } = "";

    /// <summary>Only a node this fixture started as a local process can be stopped and restarted.</summary>
    public bool CanRestart => _local is not null;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(UriVariable);
        Uri managementUri;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            managementUri = UseConfiguredBroker(new Uri(configured));
        }
        else if (DockerEngine.IsAvailable)
        {
            managementUri = await StartContainerAsync();
        }
        else if (LocalRabbitMqNode.IsInstalled)
        {
            _local = await LocalRabbitMqNode.StartNewAsync();
            Port = _local.AmqpPort;
            managementUri = _local.ManagementUri;
            Origin = "local process";
        }
        else
        {
            throw new InvalidOperationException(
                "The integration tests need a RabbitMQ and none is available. Any one of these works: "
                + "(1) install the Debian package: `sudo apt-get install -y rabbitmq-server` (the tests start their own node "
                + $"from {LocalRabbitMqNode.ServerScript}; the system service is not needed; `./build.sh test` installs it for you); "
                + "(2) run a Docker engine (Testcontainers starts rabbitmq:3.13-management); "
                + $"(3) set {UriVariable}=amqp://user:password@host:5672/ to a broker with the rabbitmq_management and "
                + $"rabbitmq_consistent_hash_exchange plugins (management API at {ManagementUriVariable}, default http://host:15672/).");
        }

        _management = new RabbitMqManagementClient(managementUri, Username, Password);
    }

    /// <summary>Creates an empty virtual host that the fixture's user may configure, write and read.</summary>
    /// <param name="prefix">Start of the vhost name, to tell tests apart in the management UI.</param>
    public async Task<RabbitMqVirtualHost> CreateVirtualHostAsync(string? prefix = null)
    {
        var management = _management ?? throw new InvalidOperationException("RabbitMqBroker is not initialized.");
        var name = $"{prefix ?? "test"}-{Guid.NewGuid():N}";
        await management.CreateVirtualHostAsync(name, Username);
        _virtualHosts.Add(name);
        var amqpUri = $"amqp://{Uri.EscapeDataString(Username)}:{Uri.EscapeDataString(Password)}@{Host}:{Port}/{Uri.EscapeDataString(name)}";
        return new RabbitMqVirtualHost(amqpUri, Host, Port, name, Username, Password);
    }

    /// <summary>The consumers the broker sees in a virtual host, as the management API reports them (its figures refresh every few seconds).</summary>
    public Task<IReadOnlyList<(string Queue, int Prefetch)>> ConsumersAsync(RabbitMqVirtualHost virtualHost)
    {
        ArgumentNullException.ThrowIfNull(virtualHost);
        var management = _management ?? throw new InvalidOperationException("RabbitMqBroker is not initialized.");
        return management.ConsumersAsync(virtualHost.VirtualHost);
    }

    /// <summary>Stops the node cleanly; its queues and messages stay on disk for <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => LocalNode().StopAsync();

    /// <summary>Starts the stopped node again on the same ports and data directory.</summary>
    public Task StartAsync() => LocalNode().StartAsync();

    /// <summary>Stops and starts the node: durable queues and persistent messages survive, connections do not.</summary>
    public async Task RestartAsync()
    {
        var node = LocalNode();
        await node.StopAsync();
        await node.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_shared && _management is not null)
        {
            // Someone else's broker: leave it as we found it.
            foreach (var name in _virtualHosts)
            {
                await _management.DeleteVirtualHostAsync(name);
            }
        }

        _management?.Dispose();
        if (_local is not null)
        {
            await _local.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private Uri UseConfiguredBroker(Uri amqp)
    {
        _shared = true;
        Origin = "environment";
        Host = amqp.Host;
        Port = amqp.IsDefaultPort || amqp.Port <= 0 ? 5672 : amqp.Port;
        if (!string.IsNullOrEmpty(amqp.UserInfo))
        {
            var parts = amqp.UserInfo.Split(':', 2);
            Username = Uri.UnescapeDataString(parts[0]);
            Password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        var management = Environment.GetEnvironmentVariable(ManagementUriVariable);
        return string.IsNullOrWhiteSpace(management) ? new Uri($"http://{Host}:15672/") : new Uri(management);
    }

    private async Task<Uri> StartContainerAsync()
    {
        const int managementPort = 15672;
        Username = "rabbitmq";
        Password = "rabbitmq";
        _container = new RabbitMqBuilder("rabbitmq:3.13-management")
            .WithUsername(Username)
            .WithPassword(Password)
            .WithPortBinding(managementPort, assignRandomHostPort: true)
            .WithResourceMapping(
                Encoding.UTF8.GetBytes("[rabbitmq_management,rabbitmq_consistent_hash_exchange]."),
                "/etc/rabbitmq/enabled_plugins")
            .Build();
        await _container.StartAsync();
        Origin = "container";
        Host = _container.Hostname;
        Port = _container.GetMappedPublicPort(RabbitMqBuilder.RabbitMqPort);
        return new Uri($"http://{Host}:{_container.GetMappedPublicPort(managementPort)}/");
    }

    private LocalRabbitMqNode LocalNode() =>
        _local ?? throw new NotSupportedException(
            $"Only a RabbitMQ node started by the fixture as a local process can be stopped or restarted; this one came from: {Origin}. "
            + "Check CanRestart and skip the test otherwise.");
}
