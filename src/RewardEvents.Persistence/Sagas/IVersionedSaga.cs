using MassTransit;

namespace RewardEvents.Persistence.Sagas;

/// <summary>A saga with an integer optimistic concurrency token, bumped on every update.</summary>
public interface IVersionedSaga : ISaga
{
    int Version { get; set; }
}
