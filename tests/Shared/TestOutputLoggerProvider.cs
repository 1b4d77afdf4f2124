using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ApimConsole.Testing;

/// <summary>
/// Writes what a test's console logs into that test's own output (xunit's <see cref="ITestOutputHelper"/>): the
/// runner shows it with the test's result when the test fails, and keeps it out of the run's log when it passes. A
/// console still logging once its test has ended (a background service winding down) has no test left to tell;
/// those lines are dropped.
/// </summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, output);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ITestOutputHelper output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {Short(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null)
                line += Environment.NewLine + exception;
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // "There is no currently active test": the test this console belonged to has ended.
            }
        }

        private static string Short(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => level.ToString(),
        };
    }
}
