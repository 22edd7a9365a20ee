using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

public sealed class RewardEventsDbContext(DbContextOptions<RewardEventsDbContext> options) : DbContext(options);
