using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Web.Tests.Components;

/// <summary>A hand-written status engine for component tests: the test publishes snapshots, subscribers receive them.</summary>
public sealed class FakeEstateStatus(EstateSnapshot initial) : IEstateStatus
{
    private readonly Lock _gate = new();
    private readonly List<EstateSubscription> _subscriptions = [];

    public EstateSnapshot Current { get; private set; } = initial;

    public int Subscribers
    {
        get { lock (_gate) return _subscriptions.Count; }
    }

    public EstateSubscription Subscribe(int capacity = 16)
    {
        var subscription = new EstateSubscription(capacity, s => { lock (_gate) _subscriptions.Remove(s); });
        lock (_gate)
            _subscriptions.Add(subscription);
        subscription.Snapshot = Current;
        return subscription;
    }

    /// <summary>What the engine does when a reassessment says nothing new: <see cref="Current"/> moves, subscribers hear nothing.</summary>
    public void SetCurrentOnly(EstateSnapshot snapshot) => Current = snapshot;

    public void Publish(EstateSnapshot snapshot)
    {
        Current = snapshot;
        EstateSubscription[] subscribers;
        lock (_gate)
            subscribers = [.. _subscriptions];
        foreach (var subscription in subscribers)
            subscription.Publish(snapshot);
    }
}
