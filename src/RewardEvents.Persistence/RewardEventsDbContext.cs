using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.Persistence;

/// <summary>
/// The fleet's one model. Each database provider has a subclass that owns its own migrations, so a
/// single assembly carries SQL Server, PostgreSQL and SQLite migrations side by side.
/// </summary>
public abstract class RewardEventsDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>The Data Protection key ring every host shares (it encrypts endpoint secrets at rest).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<WebhookEndpoint> Endpoints => Set<WebhookEndpoint>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<Attempt> Attempts => Set<Attempt>();
    public DbSet<UserSequence> UserSequences => Set<UserSequence>();
    public DbSet<EndpointsStamp> EndpointsStamps => Set<EndpointsStamp>();
    public DbSet<RoutingState> Routings => Set<RoutingState>();
    public DbSet<WorkerInstance> Workers => Set<WorkerInstance>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<EndpointMinute> EndpointMinutes => Set<EndpointMinute>();

    /// <summary>
    /// The partial index filter for deliveries that are not final, in the provider's SQL; written as the
    /// queries' own predicate (two inequalities) so each database sees that the index covers them.
    /// </summary>
    protected virtual string OpenDeliveriesFilter => "\"Status\" <> 'Delivered' AND \"Status\" <> 'DeadLettered'";

    /// <summary>
    /// The sweep index's filter, in the provider's SQL: the four open states by name, where the guard's filter says "not
    /// final". The sweep's conditions imply it; the other queries of open deliveries (the ordering guard, the successor,
    /// the completion) say "not final" and so cannot use it. With the guard's filter here, PostgreSQL did use it for
    /// them, with statistics taken while the table held few open rows: a scan of every open delivery per claimed one,
    /// the benchmark down from about 2,400 to 800 deliveries/s. Null where the index has no filter.
    /// </summary>
    protected virtual string? SweepIndexFilter => "\"Status\" IN ('Pending', 'InFlight', 'Retrying', 'Waiting')";

    /// <summary>A partial index filter of one column equal to one text value, in the provider's SQL.</summary>
    protected virtual string EqualsFilter(string column, string value) => $"\"{column}\" = '{value}'";

    /// <summary>The partial index filter for dead-lettered deliveries.</summary>
    private string DeadLetteredFilter => EqualsFilter(nameof(Delivery.Status), nameof(DeliveryStatus.DeadLettered));

    /// <summary>The partial index filter for routing sagas still delivering.</summary>
    private string DeliveringRoutingsFilter => EqualsFilter(nameof(RoutingState.CurrentState), RoutingState.Delivering);

    /// <summary>The partial index filter for completed routing sagas.</summary>
    private string CompletedRoutingsFilter => EqualsFilter(nameof(RoutingState.CurrentState), RoutingState.Completed);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // Every timestamp is UTC; SQLite and SQL Server forget the kind, PostgreSQL insists on it.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        KeysetOrder.Configure(modelBuilder);

        modelBuilder.Entity<WebhookEndpoint>(e =>
        {
            e.ToTable("endpoints");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Url).HasMaxLength(2048);
            e.Property(x => x.Description).HasMaxLength(500);
            e.Property(x => x.EventTypes).HasMaxLength(1000);
            e.Property(x => x.Ordering).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Secrets).HasMaxLength(4000);
            e.Property(x => x.Trigger).HasMaxLength(8000);
            e.Property(x => x.Headers).HasMaxLength(8000);
            e.Property(x => x.RetrySchedule).HasMaxLength(200);
            e.Property(x => x.DisabledReason).HasMaxLength(200);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.EventTypeList);
        });

        modelBuilder.Entity<Delivery>(e =>
        {
            e.ToTable("deliveries");
            e.HasKey(x => x.Id);
            e.Property(x => x.EventId).HasMaxLength(200);
            e.Property(x => x.EventType).HasMaxLength(100);
            e.Property(x => x.EndpointId).HasMaxLength(40);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.WebhookId).HasMaxLength(64);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.LastError).HasMaxLength(200);
            e.Property(x => x.TraceParent).HasMaxLength(64);
            e.Ignore(x => x.IsFinal);
            e.HasIndex(x => new { x.RoutingId, x.EndpointId }).IsUnique();
            // Open deliveries only: the per-user ordering guard asks whether an earlier one of the
            // user's deliveries to the endpoint is still open, and the release asks for the next open one.
            // Over every delivery the guard walked the user's whole history, row by row, on each claim
            // (about 200 rows per delivery in the benchmark, growing without end in production).
            e.HasIndex(x => new { x.EndpointId, x.UserId, x.Sequence }).HasFilter(OpenDeliveriesFilter);
            // Open deliveries only: the sweep looks for nothing else, and a delivery's last update (to final) then adds no
            // entry here, while the index stays the size of the work left, not of the history.
            e.HasIndex(x => new { x.Status, x.NextAttemptAt }).HasFilter(SweepIndexFilter);
            e.HasIndex(x => new { x.EndpointId, x.Status, x.CreatedAt });
            // The API's listing, newest first, of every delivery (or of one status among them all) reads the newest entries
            // here instead of sorting the whole table; an endpoint's listing walks it too when the endpoint has many
            // deliveries. The one index the hot path pays for the history (an entry on the insert and on each update).
            e.HasIndex(x => x.CreatedAt);
            // Dead letters only, newest first: the listing an operator opens most, and a few rows among millions, which a
            // walk of every delivery by time would take long to find. A delivery adds an entry only as it is dead-lettered.
            e.HasIndex(x => x.CreatedAt, "IX_deliveries_DeadLettered").HasFilter(DeadLetteredFilter);
            // No index on EventId: an event's deliveries are found by its routing id (RoutingId, EndpointId), and
            // each index costs an entry on the insert and on each of a delivery's two updates.
        });

        modelBuilder.Entity<Attempt>(e =>
        {
            e.ToTable("attempts");
            e.HasKey(x => x.Id);
            e.Property(x => x.Error).HasMaxLength(200);
            e.Property(x => x.ResponseBody).HasMaxLength(4096);
            e.Property(x => x.WorkerId).HasMaxLength(100);
            e.HasIndex(x => new { x.DeliveryId, x.Number });
        });

        modelBuilder.Entity<EndpointsStamp>(e =>
        {
            e.ToTable("endpoints_stamp");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasData(new EndpointsStamp { Id = EndpointsStamp.RowId, Stamp = Guid.Empty });
        });

        modelBuilder.Entity<UserSequence>(e =>
        {
            e.ToTable("user_sequences");
            e.HasKey(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Version).IsConcurrencyToken();
        });

        modelBuilder.ConfigureSaga<RoutingState>();
        modelBuilder.Entity<RoutingState>(e =>
        {
            e.ToTable("routings");
            e.Property(x => x.CurrentState).HasMaxLength(40);
            // The completion sweep looks for Delivering sagas, and only those are indexed: the update to Completed adds no
            // entry, and the index holds the events in flight rather than every event ever routed.
            e.HasIndex(x => x.CurrentState).HasFilter(DeliveringRoutingsFilter);
            // The retention sweep takes the events finished longest ago; only completed sagas are indexed, each once, as it
            // completes (an update that adds entries to every index of the table anyway, as it changes the state).
            e.HasIndex(x => x.CompletedAt).HasFilter(CompletedRoutingsFilter);
            e.Property(x => x.EventId).HasMaxLength(200);
            e.Property(x => x.EventType).HasMaxLength(100);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => x.EventId).IsUnique();
            // The API lists a user's events by their sequence, latest first: an entry as the event is routed and one as it completes.
            e.HasIndex(x => new { x.UserId, x.Sequence });
        });

        modelBuilder.Entity<DataProtectionKey>(e => e.ToTable("data_protection_keys"));

        modelBuilder.Entity<WorkerInstance>(e =>
        {
            e.ToTable("workers");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(100);
            e.Property(x => x.Partitions).HasMaxLength(1000);
            e.Property(x => x.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<EndpointMinute>(e =>
        {
            e.ToTable("endpoint_minutes");
            e.HasKey(x => new { x.EndpointId, x.Minute, x.Bucket });
            e.Property(x => x.EndpointId).HasMaxLength(40);
            // The workers delete the minutes older than the longest stats window by this.
            e.HasIndex(x => x.Minute);
        });

        modelBuilder.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.Scopes).HasMaxLength(500);
            e.HasIndex(x => x.Hash).IsUnique();
        });
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => UtcTimestamps.ToStore(v),
        v => UtcTimestamps.FromStore(v));
}
