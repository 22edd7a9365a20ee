using RewardEvents.Fleet;

var builder = FleetApplication.CreateBuilder(args);
builder.AddRewardEventsFleet(FleetRoles.All, "rewardevents-server");

var app = builder.Build();
app.MapRewardEventsFleet(FleetRoles.All);
app.Run();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
