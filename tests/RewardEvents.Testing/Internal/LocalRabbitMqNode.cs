using System.Globalization;
using System.Net.Sockets;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// A RabbitMQ node from the Debian package, run as a plain process in a temp directory on free
/// ports. Stopping and starting it again keeps data directory, node name and ports, which is
/// what broker-restart tests need.
/// </summary>
internal sealed class LocalRabbitMqNode : IAsyncDisposable
{
    public const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string Epmd = "/usr/bin/epmd";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly Dictionary<string, string> _environment;
    private readonly RabbitMqManagementClient _management;
    private readonly int _epmdPort;
    private GuardedServerProcess? _process;

    private LocalRabbitMqNode(string directory)
    {
        _directory = directory;
        AmqpPort = FreePort.Next();
        ManagementPort = FreePort.Next();
        _epmdPort = FreePort.Next();
        var nodeName = $"rewardevents-{Guid.NewGuid():N}@localhost";
        _nodeName = nodeName;

        File.WriteAllText(Path.Combine(directory, "rabbitmq.conf"), $"""
            listeners.tcp.1 = 127.0.0.1:{AmqpPort}
            management.tcp.ip = 127.0.0.1
            management.tcp.port = {ManagementPort}
            # Tests fill queues fast on small CI disks; the 50 MB default alarm would block publishers.
            disk_free_limit.absolute = 1MB
            """);
        File.WriteAllText(
            Path.Combine(directory, "enabled_plugins"),
            "[rabbitmq_management,rabbitmq_consistent_hash_exchange].");

        _environment = new Dictionary<string, string>
        {
            // Our own HOME keeps the generated Erlang cookie away from the machine's ~/.erlang.cookie.
            ["HOME"] = directory,
            ["RABBITMQ_NODENAME"] = nodeName,
            ["RABBITMQ_NODE_PORT"] = AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_DIST_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq.conf"),
            // Point the machine-wide files at paths that do not exist so /etc/rabbitmq cannot leak in.
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(directory, "rabbitmq-env.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(directory, "advanced.config"),
            // A private epmd on its own port, started inside the guarded process group: the node
            // would otherwise start `epmd -daemon`, which detaches and outlives the test run.
            ["ERL_EPMD_PORT"] = _epmdPort.ToString(CultureInfo.InvariantCulture),
        };

        _management = new RabbitMqManagementClient(
            new Uri($"http://127.0.0.1:{ManagementPort}/"), "guest", "guest");
    }

    private readonly string _nodeName;

    public int AmqpPort { get; }

    public int ManagementPort { get; }

    public Uri ManagementUri => new($"http://127.0.0.1:{ManagementPort}/");

    public static bool IsInstalled => File.Exists(ServerScript);

    public static async Task<LocalRabbitMqNode> StartNewAsync()
    {
        var directory = Directory.CreateTempSubdirectory("rewardevents-rabbitmq-").FullName;
        var node = new LocalRabbitMqNode(directory);
        try
        {
            await node.StartAsync();
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        _process?.Dispose();
        _process = GuardedServerProcess.Start(
            _directory,
            "rabbitmq",
            "TERM",
            // The node is only started once epmd answers; otherwise it would spawn a detached one.
            ["/bin/sh", "-c", $"""
                {Epmd} -port {_epmdPort} &
                i=0
                while ! {Epmd} -port {_epmdPort} -names >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
                exec {ServerScript}
                """],
            _environment);

        var process = _process;
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException("rabbitmq-server exited during start.");
                    }

                    return await AmqpAcceptsAsync() && await _management.AnswersAsync();
                },
                StartTimeout,
                $"the local RabbitMQ node to accept AMQP on {AmqpPort} and HTTP on {ManagementPort}");
        }
        catch (TimeoutException ex)
        {
            throw new InvalidOperationException(
                $"Local RabbitMQ did not come up ({ex.Message}). Log {process.LogFile}:\n{process.LogTail()}", ex);
        }
    }

    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(StopTimeout);
            await ProcessLeftovers.WaitUntilGoneAsync(_nodeName, StopTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        _management.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A straggler still holding a file; the temp dir is left for the OS to clean.
        }
    }

    private async Task<bool> AmqpAcceptsAsync()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", AmqpPort);
        return true;
    }
}
