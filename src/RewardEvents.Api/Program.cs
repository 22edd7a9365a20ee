using RewardEvents.Fleet;

var builder = FleetApplication.CreateBuilder(args);
builder.AddRewardEventsFleet(FleetRoles.Api, "rewardevents-api");

var app = builder.Build();
app.MapRewardEventsFleet(FleetRoles.Api);
app.Run();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
