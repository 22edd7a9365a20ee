namespace RewardEvents.Fleet.Workers;

/// <summary>This process's name among the workers: host name, process id and a random suffix.</summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}
