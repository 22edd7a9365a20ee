using RewardEvents.Fleet;

var builder = FleetApplication.CreateBuilder(args);
builder.AddRewardEventsFleet(FleetRoles.Worker, "rewardevents-worker");

var app = builder.Build();
app.MapRewardEventsFleet(FleetRoles.Worker);
app.Run();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
