using RewardEvents.Fleet.Messaging;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// The machine CPU that the fleet's messages and requests alone cost per delivery, at the rates measured for
/// reference: per event, one MassTransit hop to the router and one per batch of at most
/// <see cref="DeliveryDispatcher.MaxBatch"/> deliveries to a worker, one signed POST per delivery, and, where the workers
/// publish them (<c>--delivered-events</c>), one outcome event per delivery that no queue takes. Nothing else counts
/// here (no database, no routing, no worker's own work), so <see cref="DeliveriesPerSecondBound"/> is more than the
/// fleet can reach on this machine.
/// </summary>
public sealed record MessagingFloor(
    int Endpoints, int HopsPerEvent, bool OutcomeEvents, double MsPerDelivery, int Cores, double DeliveriesPerSecondBound)
{
    public static MessagingFloor From(CeilingResult hop, CeilingResult unrouted, CeilingResult http, int endpoints, bool outcomeEvents)
    {
        ArgumentNullException.ThrowIfNull(hop);
        ArgumentNullException.ThrowIfNull(unrouted);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(endpoints, 1);
        var hops = 1 + ((endpoints + DeliveryDispatcher.MaxBatch - 1) / DeliveryDispatcher.MaxBatch);
        var ms = (hops * Machine(hop) / endpoints) + (outcomeEvents ? Machine(unrouted) : 0) + Machine(http);
        var cores = Environment.ProcessorCount;
        return new MessagingFloor(endpoints, hops, outcomeEvents, ms, cores, ms > 0 ? cores * 1000 / ms : 0);
    }

    private static double Machine(CeilingResult ceiling) => ceiling.CpuMsPerMessage.GetValueOrDefault("machine");
}
