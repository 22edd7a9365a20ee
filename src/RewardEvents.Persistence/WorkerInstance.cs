namespace RewardEvents.Persistence;

/// <summary>A live delivery worker, known by its heartbeat; partitions are spread over these.</summary>
public sealed class WorkerInstance
{
    public required string Id { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime HeartbeatAt { get; set; }
    public string Partitions { get; set; } = "";
    public int Version { get; set; }
}
