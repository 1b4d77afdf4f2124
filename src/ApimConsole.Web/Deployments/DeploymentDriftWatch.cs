using ApimConsole.Core.Deployments;
using ApimConsole.Core.Live;
using ApimConsole.Storage;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>A group whose instances run different archives: which, and since when the console has seen them differ.</summary>
/// <param name="Deploying">
/// A deployment of the group was under way while the ANMs were read (unfinished, or finished after the reading began):
/// the instances differ because they load one after another. A reading begun after it ended says whether they still do.
/// </param>
public sealed record DriftedGroup(string GroupId, string GroupName, string Summary, DateTimeOffset Since, bool Deploying = false);

/// <summary>
/// Drift as last read from the ANMs: <see cref="Groups"/> that run different archives, and <see cref="Unread"/> the
/// datacenters whose deployed archives could not be read (unknown there, so drift cannot be ruled out).
/// <see cref="AsOf"/> null: not read yet.
/// </summary>
public sealed record DriftState(DateTimeOffset? AsOf, IReadOnlyList<DriftedGroup> Groups, IReadOnlyDictionary<string, string> Unread)
{
    public static readonly DriftState NotReadYet = new(null, [], new Dictionary<string, string>());

    public bool Drift => Groups.Count > 0;

    internal bool SameContent(DriftState other) =>
        AsOf.HasValue == other.AsOf.HasValue
        && Groups.SequenceEqual(other.Groups)
        && Unread.Count == other.Unread.Count && Unread.All(u => other.Unread.TryGetValue(u.Key, out var v) && v == u.Value);
}

/// <summary>
/// Keeps drift visible until it is gone: reads the deployed archives from every ANM (<see cref="DeployedVersionsReader"/>,
/// the source of truth) every <see cref="DeploymentOptions.DriftInterval"/> and after each deployment write, and
/// publishes which groups run different archives and since when, for the Overview, the banner and the wall. Nothing
/// is invented: a datacenter whose ANM cannot be read is reported unknown.
/// </summary>
public sealed class DeploymentDriftWatch(DeployedVersionsReader reader, DeploymentStore store, IOptions<DeploymentOptions> options,
    TimeProvider time, ILogger<DeploymentDriftWatch> logger) : BackgroundService, ILiveFeed<DriftState>
{
    private readonly LiveFeed<DriftState> _feed = new(DriftState.NotReadYet, (a, b) => a.SameContent(b));
    private readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public DriftState Current => _feed.Current;

    public FeedSubscription<DriftState> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _feed.Subscribe(capacity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var writes = store.Writes.Subscribe(capacity: 1);
        using var timer = new PeriodicTimer(options.Value.DriftInterval, time);
        try
        {
            // One tick and one write wait outstanding at a time (a PeriodicTimer allows one waiter).
            Task<bool>? tick = null, write = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                await ReadOnceAsync(stoppingToken);
                // Whichever comes first: the interval, or a deployment writing its outcome.
                tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
                write ??= writes.Updates.WaitToReadAsync(stoppingToken).AsTask();
                var first = await Task.WhenAny(tick, write);
                var more = await first;
                if (first == tick)
                    tick = null;
                else
                    // A write feed that completed wakes no one again: the interval alone paces the readings then.
                    write = more ? null : new TaskCompletionSource<bool>().Task;
                while (writes.Updates.TryRead(out _))
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads the ANMs once and publishes what they say.</summary>
    public async Task ReadOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var began = time.GetUtcNow();
            var versions = await reader.ReadAsync(cancellationToken);
            var deploying = versions.Groups.Any(g => g.Drift) ? await DeployingAsync(began, cancellationToken) : [];
            // Readings may overlap (the loop and a caller): each is judged and published whole, newest last.
            lock (_gate)
            {
                if (_feed.Current.AsOf is not { } last || last <= versions.AsOf)
                    _feed.Publish(Assess(versions, deploying));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Reading the deployed archives for drift failed; tried again in {Interval}", options.Value.DriftInterval);
        }
    }

    /// <summary>The groups with a deployment unfinished, or finished at or after <paramref name="began"/>.</summary>
    private async Task<HashSet<string>> DeployingAsync(DateTimeOffset began, CancellationToken cancellationToken) =>
        (await store.RecentAsync(20, cancellationToken))
            .Where(d => !d.State.IsFinished() || d.FinishedAt is not { } finished || finished >= began)
            .Select(d => d.GroupId).ToHashSet(StringComparer.Ordinal);

    private DriftState Assess(DeployedVersions versions, IReadOnlySet<string> deploying)
    {
        var drifted = versions.Groups.Where(g => g.Drift).ToList();
        // "Since" is when this console first saw the group drift, kept while it stays drifted.
        foreach (var gone in _since.Keys.Except(drifted.Select(g => g.GroupId)).ToList())
            _since.Remove(gone);
        var groups = drifted.Select(g =>
        {
            if (!_since.TryGetValue(g.GroupId, out var since))
                _since[g.GroupId] = since = versions.AsOf;
            return new DriftedGroup(g.GroupId, g.GroupName, g.Summary, since, deploying.Contains(g.GroupId));
        }).ToList();
        return new DriftState(versions.AsOf, groups, versions.Unread);
    }
}
