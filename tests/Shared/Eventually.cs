using System.Diagnostics;
using Xunit.Sdk;

namespace ApimConsole.Testing;

/// <summary>
/// Waits for a condition, never for a fixed time: polls until it holds (and returns at once when it does) or the
/// timeout passes, then fails saying what was awaited and what was last seen. One helper for every test project
/// (linked from <c>tests/Shared</c>), so no test writes its own <c>while (DateTime.UtcNow &lt; deadline)</c> loop.
/// </summary>
public static class Eventually
{
    /// <summary>How often a condition is looked at unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    /// <param name="because">What is awaited, for the failure message ("the tails to poll").</param>
    /// <param name="every">Time between looks; longer for conditions that cost a request.</param>
    public static Task Until(Func<bool> condition, TimeSpan timeout, string because, TimeSpan? every = null) =>
        Until(() => Task.FromResult(condition()), timeout, because, every);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string because, TimeSpan? every = null) =>
        await Until(condition, holds => holds, timeout, because, every);

    /// <summary>Observes a value until <paramref name="holds"/> is true of it, and returns that value.</summary>
    /// <remarks>On timeout the message shows the last value observed (<paramref name="describe"/> says how).</remarks>
    public static Task<T> Until<T>(Func<T> observe, Func<T, bool> holds, TimeSpan timeout, string because, TimeSpan? every = null,
        Func<T, string>? describe = null) =>
        Until(() => Task.FromResult(observe()), holds, timeout, because, every, describe);

    /// <summary>Observes a value asynchronously until <paramref name="holds"/> is true of it, and returns that value.</summary>
    /// <param name="describe">How the last value reads in the failure message; its <c>ToString()</c> when null.</param>
    public static async Task<T> Until<T>(Func<Task<T>> observe, Func<T, bool> holds, TimeSpan timeout, string because,
        TimeSpan? every = null, Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var last = await observe();
            if (holds(last))
                return last;
            if (clock.Elapsed > timeout)
                throw new XunitException(
                    $"Waited {timeout.TotalSeconds:0.###} s for {because}; it never happened. Last observed: {Shorten(describe is null ? Describe(last) : describe(last))}");
            await Task.Delay(every ?? DefaultPoll);
        }
    }

    // A whole JSON document can be megabytes: the start of it says enough.
    private static string Shorten(string text) => text.Length <= 4000 ? text : text[..4000] + " …";

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        _ => value.ToString() ?? "null",
    };
}
