namespace RewardEvents.IntegrationTests.Support;

/// <summary>What a test started (hosts, processes, receivers, servers), disposed in reverse order when the test ends.</summary>
public sealed class OwnedResources : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>Takes <paramref name="value"/> over and returns it.</summary>
    public T Own<T>(T value)
        where T : IAsyncDisposable
    {
        _owned.Add(value);
        return value;
    }

    /// <summary>
    /// A new directory under the system's temporary one, deleted when the test ends, after whatever was owned
    /// after it (the processes writing their logs there) is gone.
    /// </summary>
    public string TempDirectory(string prefix)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        OnDispose(() =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // a process not quite gone still writes there; the directory is left to the system's cleaning
            }

            return Task.CompletedTask;
        });
        return path;
    }

    /// <summary>Runs <paramref name="dispose"/> when the test ends, in its turn.</summary>
    public void OnDispose(Func<Task> dispose) => _owned.Add(new Disposer(dispose));

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        _owned.Clear();
    }

    private sealed class Disposer(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}
