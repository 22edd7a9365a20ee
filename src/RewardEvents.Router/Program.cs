using RewardEvents.Fleet;

var builder = FleetApplication.CreateBuilder(args);
builder.AddRewardEventsFleet(FleetRoles.Router, "rewardevents-router");

var app = builder.Build();
app.MapRewardEventsFleet(FleetRoles.Router);
app.Run();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
