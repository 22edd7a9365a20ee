using System.ComponentModel.DataAnnotations;

namespace RewardEvents.Fleet;

/// <summary>Configuration section <c>Transport</c>; the broker address is <c>ConnectionStrings:RabbitMq</c>.</summary>
public sealed class TransportOptions
{
    public const string Section = "Transport";

    [Required]
    public TransportKind Kind { get; set; } = TransportKind.RabbitMq;
}
