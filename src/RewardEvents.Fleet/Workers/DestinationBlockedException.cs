namespace RewardEvents.Fleet.Workers;

/// <summary>A webhook connection was refused because its address is not public.</summary>
public sealed class DestinationBlockedException : Exception
{
    public DestinationBlockedException()
    {
    }

    public DestinationBlockedException(string message) : base(message)
    {
    }

    public DestinationBlockedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
