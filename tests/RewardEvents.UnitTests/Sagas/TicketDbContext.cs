using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.UnitTests.Sagas;

public sealed class TicketDbContext(DbContextOptions<TicketDbContext> options) : DbContext(options)
{
    public DbSet<TicketState> Tickets => Set<TicketState>();
    public DbSet<TicketNote> Notes => Set<TicketNote>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ConfigureSaga<TicketState>().Property(x => x.CurrentState).HasMaxLength(64);
        modelBuilder.Entity<TicketNote>();
    }
}
