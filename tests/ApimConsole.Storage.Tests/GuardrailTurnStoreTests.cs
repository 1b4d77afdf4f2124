using ApimConsole.Core.Guardrails;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

public sealed class GuardrailTurnStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Turns_RoundTrip_WithDatacenter_Decision_AndTheCallsOnTheWire_InTheirOrder()
    {
        await using var temp = new TempStore();
        await temp.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var store = temp.Services.GetRequiredService<GuardrailTurnStore>();
        GuardrailTransition[] turns =
        [
            new(T0, ChangeKind.GatewayConfiguration, null, GuardrailDecision.Allow),
            new(T0.AddSeconds(5), ChangeKind.KpsTableStructure, "dc2", GuardrailDecision.Block, ["load of instance-3 in dc2", "upload to dc2"]),
            new(T0.AddSeconds(9), ChangeKind.GatewayConfiguration, "dc1", GuardrailDecision.Warn),
            new(T0.AddMinutes(5), ChangeKind.GatewayConfiguration, null, GuardrailDecision.Block),
        ];
        await store.AddAsync(turns[..2], CancellationToken.None);
        await store.AddAsync(turns[2..], CancellationToken.None);

        var all = await store.DuringAsync(T0, T0.AddMinutes(5), 100, CancellationToken.None);
        Assert.Equal(turns.Select(Key), all.Select(Key));
        Assert.Equal(["load of instance-3 in dc2", "upload to dc2"], all[1].InFlight!);
        Assert.Null(all[0].InFlight);

        // Both ends are part of the interval; what lies outside it is not; the cap keeps the oldest.
        Assert.Equal(turns[1..3].Select(Key), (await store.DuringAsync(T0.AddSeconds(5), T0.AddSeconds(9), 100, CancellationToken.None)).Select(Key));
        Assert.Equal(turns[..1].Select(Key), (await store.DuringAsync(T0, T0.AddMinutes(5), 1, CancellationToken.None)).Select(Key));
        Assert.Empty(await store.DuringAsync(T0.AddMinutes(6), T0.AddMinutes(7), 100, CancellationToken.None));
    }

    [Fact]
    public void CallsOnTheWire_LongerThanTheColumn_AreCut_NotRefused()
    {
        var calls = Enumerable.Range(0, 500).Select(i => $"load of instance-{i} in dc1").ToList();
        var turn = GuardrailTurn.From(new GuardrailTransition(T0, ChangeKind.GatewayConfiguration, "dc1", GuardrailDecision.Block, calls));
        Assert.Equal(GuardrailTurn.MaxInFlight, turn.InFlight!.Length);
        Assert.EndsWith("…", turn.InFlight, StringComparison.Ordinal);
        Assert.Equal(calls[..10], turn.ToTransition().InFlight!.Take(10));
    }

    private static (DateTimeOffset, ChangeKind, string?, GuardrailDecision, string?) Key(GuardrailTransition t) =>
        (t.At, t.Kind, t.DatacenterId, t.Decision, t.InFlight is null ? null : string.Join('|', t.InFlight));
}
