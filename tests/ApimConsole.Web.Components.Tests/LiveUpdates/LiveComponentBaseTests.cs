using ApimConsole.Core.Live;
using ApimConsole.Web.Components.Controls;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.LiveUpdates;

/// <summary>The helper every live component uses: value now, later values on the circuit, throttled, errors to the component.</summary>
public sealed class LiveComponentBaseTests : BunitContext
{
    private readonly FakeTimeProvider _clock = new();
    private readonly LiveFeed<int> _feed = new(1);

    public LiveComponentBaseTests() => Services.AddSingleton<TimeProvider>(_clock);

    [Fact]
    public void ShowsTheValueNow_ThenTheNewestAfterABurst()
    {
        var cut = Render<Counter>(p => p.Add(c => c.Feed, _feed));
        Assert.Equal("1", cut.Markup);

        _feed.Publish(2);
        cut.WaitForAssertion(() => Assert.Equal("2", cut.Markup));

        // A burst coalesces (the throttle's own tests move a fake clock); the newest value shows.
        for (var i = 3; i <= 40; i++)
            _feed.Publish(i);
        cut.WaitForAssertion(() => Assert.Equal("40", cut.Markup));
        Assert.True(cut.Instance.Applied < 10, $"applied {cut.Instance.Applied} values");
    }

    [Fact]
    public async Task AnErrorInAChange_GoesToTheComponentsCircuit()
    {
        var cut = Render<Counter>(p => p.Add(c => c.Feed, _feed).Add(c => c.FailOn, 2));

        _feed.Publish(2);

        var error = await Renderer.UnhandledException.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("cannot show 2", error.Message);
    }

    [Fact]
    public void Dispose_Unsubscribes()
    {
        var cut = Render<Counter>(p => p.Add(c => c.Feed, _feed));
        Assert.Equal(1, _feed.Subscribers);

        cut.Instance.Dispose();

        Assert.Equal(0, _feed.Subscribers);
    }

    private sealed class Counter : LiveComponentBase
    {
        private int _value;

        [Parameter] public required LiveFeed<int> Feed { get; set; }
        [Parameter] public int? FailOn { get; set; }

        public int Applied { get; private set; }

        protected override void OnInitialized() => _value = Watch(Feed, value =>
        {
            if (value == FailOn)
                throw new InvalidOperationException($"cannot show {value}");
            Applied++;
            _value = value;
        });

        protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, _value);
    }
}
