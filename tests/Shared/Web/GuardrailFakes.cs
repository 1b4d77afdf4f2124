using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Tests.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Guardrails;

/// <summary>A hand-written recovery status: the test sets the incomplete recoveries, subscribers hear of it.</summary>
public sealed class FakeRecoveryStatus : IRecoveryStatus
{
    private readonly LiveFeed<IReadOnlyList<IncompleteRecovery>> _feed = new([]);

    public IReadOnlyList<IncompleteRecovery> Current => _feed.Current;

    public IReadOnlyList<IncompleteRecovery> Incomplete => _feed.Current;

    public int Subscribers => _feed.Subscribers;

    public FeedSubscription<IReadOnlyList<IncompleteRecovery>> Subscribe(int capacity = 16) => _feed.Subscribe(capacity);

    public void Set(params IncompleteRecovery[] incomplete) => _feed.Publish(incomplete);
}

/// <summary>Estates for guardrail tests, built the way the status engine builds them (through <see cref="EstateAssessor"/>).</summary>
public static class GuardrailEstate
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(750);
    private static readonly Guid Schema = Guid.NewGuid();

    /// <summary>The estate at <paramref name="at"/>: <paramref name="downInDc2"/> (component ids) down in dc2; <paramref name="linkDown"/> cuts dc2 off while it still serves.</summary>
    public static EstateSnapshot At(DateTimeOffset at, bool linkDown = false, params string[] downInDc2)
    {
        DatacenterSnapshot Dc(string id, Func<string, ComponentState> state) => new(
            id, id == "dc1" ? "Frankfurt" : "Amsterdam", DatacenterState.Unknown, default, null,
            [new ComponentStatus(id, "anm", "anm", ComponentKind.AdminNodeManager, state("anm"), T0, R(state("anm")))],
            [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
            [
                new GatewayInstanceStatus(id, "instance-1", "instance-1", state("instance-1"), T0, R(state("instance-1")), "group-3", "127.0.2.1", null),
                new GatewayInstanceStatus(id, "instance-2", "instance-2", state("instance-2"), T0, R(state("instance-2")), "group-3", "127.0.2.2", null),
            ])],
            Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", state($"cassandra-{i}"), T0, R(state($"cassandra-{i}")),
                $"127.0.1.{i}:9042", id, "rack1", "4.1.3", Schema, Guid.NewGuid(), null)).ToList());

        var dc1 = Dc("dc1", _ => ComponentState.Up);
        var dc2 = Dc("dc2", c => linkDown || downInDc2.Contains(c) ? ComponentState.Down : ComponentState.Up);
        var witness = new LoadBalancerView(ComponentState.Up, T0, null,
            [new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)]);
        return EstateAssessor.Assess("lab", "dc1", [dc1, dc2], witness, null, at);
    }

    private static string? R(ComponentState state) => state == ComponentState.Down ? "connection refused" : null;

    /// <summary>A guardrail on fakes: the estate the test publishes, recoveries it sets, a clock it moves.</summary>
    public static GuardrailService Service(FakeEstateStatus status, FakeRecoveryStatus recovery, FakeTimeProvider clock) =>
        new(status, recovery, clock, Options.Create(new ProbeOptions { Interval = ProbeInterval }), NullLogger<GuardrailService>.Instance);

    /// <summary>What the banner (and so the layout) needs, on fakes.</summary>
    public static IServiceCollection AddGuardrailFakes(this IServiceCollection services, FakeEstateStatus status, FakeRecoveryStatus recovery, FakeTimeProvider clock)
    {
        services.AddSingleton<IEstateStatus>(status);
        services.AddSingleton<IRecoveryStatus>(recovery);
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton(Options.Create(new ProbeOptions { Interval = ProbeInterval }));
        services.AddSingleton<ILogger<GuardrailService>>(NullLogger<GuardrailService>.Instance);
        services.AddSingleton<GuardrailService>();
        // The status banner shows the store's health under the guardrail's decision.
        services.TryAddSingleton<ConsoleStoreHealth>();
        return services;
    }
}
