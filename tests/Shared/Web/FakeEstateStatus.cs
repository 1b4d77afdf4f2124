using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Web.Tests.Components;

/// <summary>A hand-written status engine for component tests: the test publishes snapshots, subscribers receive them.</summary>
public sealed class FakeEstateStatus : IEstateStatus
{
    private readonly LiveFeed<EstateSnapshot> _feed;
    private bool _quiet;

    public FakeEstateStatus(EstateSnapshot initial) => _feed = new(initial, (_, _) => _quiet);

    public EstateSnapshot Current => _feed.Current;

    public int Subscribers => _feed.Subscribers;

    public FeedSubscription<EstateSnapshot> Subscribe(int capacity = 16) => _feed.Subscribe(capacity);

    /// <summary>What the engine does when a reassessment says nothing new: <see cref="Current"/> moves, subscribers hear nothing.</summary>
    public void SetCurrentOnly(EstateSnapshot snapshot)
    {
        _quiet = true;
        _feed.Publish(snapshot);
        _quiet = false;
    }

    public void Publish(EstateSnapshot snapshot) => _feed.Publish(snapshot);
}
