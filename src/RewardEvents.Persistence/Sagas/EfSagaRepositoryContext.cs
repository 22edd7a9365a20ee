using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence.Sagas;

/// <summary>One message's view of the saga table, as MassTransit's saga pipes drive it.</summary>
internal sealed class EfSagaRepositoryContext<TSaga, TDbContext, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, IVersionedSaga
    where TDbContext : DbContext
    where TMessage : class
{
    private readonly TDbContext _db;
    private readonly ConsumeContext<TMessage> _context;
    private readonly ISagaConsumeContextFactory<TDbContext, TSaga> _factory;
    private readonly ISagaInstanceReader<TSaga, TDbContext>? _reader;

    public EfSagaRepositoryContext(
        TDbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<TDbContext, TSaga> factory, ISagaInstanceReader<TSaga, TDbContext>? reader)
        : base(context)
    {
        _db = db;
        _context = context;
        _factory = factory;
        _reader = reader;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        instance.Version = 1;
        _db.Set<TSaga>().Add(instance);
        return _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Add);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        instance.Version = 1;
        _db.Set<TSaga>().Add(instance);
        try
        {
            await _db.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            // Already there: the caller loads the existing instance instead.
            _db.Entry(instance).State = EntityState.Detached;
            return default!;
        }

        return await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = _reader is null
            ? await _db.Set<TSaga>().FirstOrDefaultAsync(s => s.CorrelationId == correlationId, CancellationToken)
            : await _reader.ReadAsync(_db, _context.Message, correlationId, CancellationToken);
        return instance is null
            ? default!
            : await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Load);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => _db.SaveChangesAsync(CancellationToken);

    public Task Update(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Saga.Version++;
        return _db.SaveChangesAsync(CancellationToken);
    }

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _db.Set<TSaga>().Remove(context.Saga);
        return _db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> context)
    {
        _db.ChangeTracker.Clear();
        return Task.CompletedTask;
    }

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        _db.ChangeTracker.Clear();
        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_db, consumeContext, instance, mode);
}
