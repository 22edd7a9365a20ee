using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>Keeps every line a host logs under one category (add a filter rule to let the levels wanted through).</summary>
internal sealed class CapturingLoggerProvider(string category) : ILoggerProvider
{
    public ConcurrentQueue<CapturedLine> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => categoryName == category ? new Logger(Lines) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<CapturedLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            lines.Enqueue(new CapturedLine(logLevel, eventId, formatter(state, exception)));
        }
    }
}

internal sealed record CapturedLine(LogLevel Level, EventId EventId, string Message);
