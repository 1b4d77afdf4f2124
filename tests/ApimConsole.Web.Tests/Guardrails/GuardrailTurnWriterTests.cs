using System.Data.Common;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;

namespace ApimConsole.Web.Tests.Guardrails;

/// <summary>
/// The guardrail's turns reach the store without the guardrail ever waiting on it: a write stuck in the store or
/// refused by it holds up no turn and no permit, is reported as the store failing, and lands once the store is back.
/// </summary>
public sealed class GuardrailTurnWriterTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const ChangeKind Gateway = ChangeKind.GatewayConfiguration;

    private readonly string _root = ConsoleDataFolder.Create("apimconsole-turns-");
    private readonly TurnInserts _inserts = new();
    private readonly ServiceProvider _console;

    public GuardrailTurnWriterTests()
    {
        // The store and the writer on the real clock (StoreWriter's pauses pass by themselves); the guardrail on a fake one.
        _console = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IInterceptor>(_inserts)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .AddSingleton<GuardrailTurnWriter>()
            .BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        _inserts.Release.TrySetResult();
        await _console.DisposeAsync();
        ConsoleDataFolder.Remove(_root);
    }

    [Fact]
    public async Task StoreStuckThenRefusing_NeverHoldsUpTheGuardrail_AndEveryTurnLandsOnceItIsBack()
    {
        await _console.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var writer = _console.GetRequiredService<GuardrailTurnWriter>();
        var store = _console.GetRequiredService<GuardrailTurnStore>();
        var health = _console.GetRequiredService<ConsoleStoreHealth>();
        var clock = new FakeTimeProvider(T0);
        var status = new FakeEstateStatus(At(T0));
        await writer.StartAsync(CancellationToken.None);
        using var guardrail = new GuardrailService(status, new FakeRecoveryStatus(), clock, Options.Create(new ProbeOptions { Interval = ProbeInterval }),
            NullLogger<GuardrailService>.Instance, writer);

        // The start-up state's write is stuck inside the store (the insert is on its way and does not return).
        await _inserts.Entered.Task.WaitAsync(Wait);

        // Meanwhile the guardrail turns to Block and back, and hands out permits, as if the store were not there.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        status.Publish(At(clock.GetUtcNow(), linkDown: true));
        await Eventually.Until(() => guardrail.Current.Worst == GuardrailDecision.Block, Wait, "the turn to Block while the store is stuck");
        using (var refused = guardrail.Enter(Gateway, ["dc2"]))
            Assert.Equal(GuardrailDecision.Block, refused.Verdict.Decision);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        status.Publish(At(clock.GetUtcNow()));
        await Eventually.Until(() => guardrail.Current.Worst == GuardrailDecision.Allow, Wait, "the turn back to Allow while the store is stuck");
        using (var permit = guardrail.Enter(Gateway, ["dc2"]))
            Assert.Equal(GuardrailDecision.Allow, permit.Verdict.Decision);
        Assert.Equal(0, writer.Written);

        // Then the store refuses the writes (disk full): reported as the store failing; nothing is stored, nothing is lost.
        _inserts.Failing = true;
        _inserts.Release.TrySetResult();
        await Eventually.Until(() => health.Current.Failing && _inserts.Refused > 0, Wait, "the refused writes to be reported to the store's health");
        clock.Advance(TimeSpan.FromMilliseconds(100));
        status.Publish(At(clock.GetUtcNow(), downInDc2: ["cassandra-1", "cassandra-2"]));
        await Eventually.Until(() => guardrail.Current.Worst != GuardrailDecision.Allow, Wait, "a turn while the store refuses writes");
        Assert.Equal(0, writer.Written);

        // The store is back: every turn the guardrail made, start-up state included, is stored once, in order.
        _inserts.Failing = false;
        var history = guardrail.History;
        var stored = await Eventually.Until(() => store.DuringAsync(T0, clock.GetUtcNow(), 1000, CancellationToken.None),
            s => s.Count >= history.Count, Wait, "the queued turns to be stored once the store is back",
            describe: s => $"{s.Count} of {history.Count} stored");
        Assert.Equal(history.Select(Key), stored.Select(Key));
        Assert.Equal(history.Count, writer.Written);
        Assert.False(health.Current.Failing);
        Assert.Contains(history, t => t.DatacenterId is null && t.Decision == GuardrailDecision.Block);
    }

    private static (DateTimeOffset, ChangeKind, string?, GuardrailDecision) Key(GuardrailTransition t) => (t.At, t.Kind, t.DatacenterId, t.Decision);

    /// <summary>Inserts into GuardrailTurns: held until <see cref="Release"/>, then refused while <see cref="WriteRefusal.Failing"/>.</summary>
    private sealed class TurnInserts : WriteRefusal
    {
        private int _refused;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Refused => Volatile.Read(ref _refused);

        protected override bool Refuses(string commandText) => IsTurnInsert(commandText);

        protected override void OnRefused(string commandText) => Interlocked.Increment(ref _refused);

        private static bool IsTurnInsert(string commandText) => commandText.Contains("INSERT INTO \"GuardrailTurns\"", StringComparison.Ordinal);

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (IsTurnInsert(command.CommandText))
            {
                Entered.TrySetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }
            return await base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
