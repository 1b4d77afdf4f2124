using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;

namespace ApimConsole.Benchmarks;

/// <summary>
/// What a hub client received, so that a count of "0 false states" seen by it can be trusted: a client whose
/// connection closed or that stopped receiving also sees no false state. Records the arrival of every message and
/// whether (and why) the connection closed; <see cref="Check"/> then says, for a window of the run, how many messages
/// arrived, the longest time with none (the window's edges count), and whether the connection stayed open.
/// </summary>
internal sealed class HubLiveness
{
    private readonly Lock _gate = new();
    private readonly List<long> _arrivals = [];
    private string? _closed;

    public HubLiveness(HubConnection connection) =>
        connection.Closed += error =>
        {
            ConnectionClosed(error);
            return Task.CompletedTask;
        };

    /// <summary>Without a connection: the caller reports <see cref="Received"/> and <see cref="ConnectionClosed"/> itself.</summary>
    public HubLiveness()
    {
    }

    /// <summary>The connection closed (the first close counts).</summary>
    public void ConnectionClosed(Exception? error)
    {
        lock (_gate)
            _closed ??= $"closed at {DateTime.UtcNow:HH:mm:ss.f} UTC ({error?.GetType().Name ?? "no error"}: {error?.Message ?? "closed by the server or the client"})";
    }

    /// <summary>Call on every message, with its arrival time (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Received(long at)
    {
        lock (_gate)
            _arrivals.Add(at);
    }

    /// <summary>Why the connection closed, or null while it is open.</summary>
    public string? Closed
    {
        get
        {
            lock (_gate)
                return _closed;
        }
    }

    /// <summary>Time since the last message (or since <paramref name="since"/> when none came after it).</summary>
    public TimeSpan SilentFor(long since)
    {
        lock (_gate)
            return Stopwatch.GetElapsedTime(Math.Max(since, _arrivals.Count == 0 ? since : _arrivals[^1]));
    }

    /// <summary>Messages received in [<paramref name="from"/>, <paramref name="to"/>] and the longest gap between them, edges included.</summary>
    public Verdict Check(long from, long to, TimeSpan bound)
    {
        lock (_gate)
        {
            var inside = _arrivals.Where(a => a >= from && a <= to).ToList();
            var longest = TimeSpan.Zero;
            var previous = from;
            foreach (var at in inside.Append(to))
            {
                var gap = Stopwatch.GetElapsedTime(previous, at);
                if (gap > longest)
                    longest = gap;
                previous = at;
            }
            return new Verdict(inside.Count, Stopwatch.GetElapsedTime(from, to), longest, bound, _closed);
        }
    }

    /// <summary>The liveness of a hub client over a window: alive when the connection never closed and no gap exceeded the bound.</summary>
    public sealed record Verdict(int Messages, TimeSpan Window, TimeSpan LongestGap, TimeSpan Bound, string? Closed)
    {
        public bool Alive => Closed is null && LongestGap <= Bound;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{Messages} messages in {Window.TotalSeconds:0.0} s ({Messages / Math.Max(0.001, Window.TotalSeconds):0.00}/s), longest gap {LongestGap.TotalSeconds:0.0} s{(Bound == TimeSpan.MaxValue ? "" : $" (bound {Bound.TotalSeconds:0} s)")}, connection {Closed ?? "open throughout"}");

        /// <summary>Why the window proves nothing, or null when it is alive.</summary>
        public string? Failure => Alive ? null
            : Closed is not null ? $"the hub connection {Closed}: what it did not receive was not checked"
            : string.Create(CultureInfo.InvariantCulture, $"the hub client received nothing for {LongestGap.TotalSeconds:0.0} s (bound {Bound.TotalSeconds:0} s): a client that receives nothing sees no false state either");
    }
}
