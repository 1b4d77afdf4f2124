using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Alerts;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace ApimConsole.Web.Components.Pages;

/// <summary>The Alerts page: Administrators edit, Support reads.</summary>
public sealed partial class Alerts : LiveComponentBase
{
    [Inject] public required AlertStore Store { get; init; }
    [Inject] public required AlertSettings Settings { get; init; }
    [Inject] public required ConsoleStoreHealth StoreHealth { get; init; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>The alert a message linked to (<c>/alerts?alert=12</c>): highlighted.</summary>
    [SupplyParameterFromQuery(Name = "alert")] public long? AlertId { get; set; }

    private IReadOnlyList<AlertView> _alerts = [];
    private IReadOnlyList<ChannelView> _channels = [];
    private IReadOnlyList<AlertRule> _rules = [];
    private IReadOnlyList<AlertSilence> _silences = [];
    private IReadOnlyList<DeliveryView> _deliveries = [];
    private bool _administrator;
    private bool _deadOnly;
    private string? _error;
    private string? _notice;

    private ChannelForm _channel = new();
    private ChannelView? _editing;
    private string? _ruleMatcher;
    private long _ruleChannel;
    private int? _ruleRepeat;
    private string? _silenceMatcher;
    private int _silenceHours = 2;
    private string? _silenceComment;

    protected override async Task OnInitializedAsync()
    {
        _administrator = (await AuthenticationState).User.IsInRole(ConsoleRoles.Administrator);
        Watch(Store.Changes, _ => LoadAsync());
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _alerts = await Store.ListAsync(new AlertQuery(Count: 100), CancellationToken.None);
        _channels = await Settings.ChannelsAsync(CancellationToken.None);
        _rules = await Settings.RulesAsync(CancellationToken.None);
        _silences = await Settings.SilencesAsync(CancellationToken.None);
        _deliveries = await Store.DeliveriesAsync(200, _deadOnly, CancellationToken.None);
        if (_ruleChannel == 0 && _channels.Count > 0)
            _ruleChannel = _channels[0].Id;
    }

    private async Task<string> ActorAsync() => ConsoleActor.Of((await AuthenticationState).User);

    /// <summary>Runs a change; its refusal (bad input, a failing store) is shown, and the lists are read again.</summary>
    private async Task ChangeAsync(Func<string, Task<string>> change)
    {
        _error = null;
        _notice = null;
        try
        {
            _notice = await change(await ActorAsync());
        }
        catch (AlertSettingsException e)
        {
            _error = e.Message;
        }
        catch (ConsoleStoreUnavailableException e)
        {
            _error = StoreRefusal.Message(e, StoreHealth, "nothing was changed.");
        }
        await LoadAsync();
    }

    private Task AcknowledgeAsync(long id) => ChangeAsync(async actor =>
    {
        var view = await Store.AcknowledgeAsync(id, actor, CancellationToken.None);
        return $"Acknowledged: {view.Alert.Title}.";
    });

    private Task SendTestAsync(ChannelView channel) => ChangeAsync(async actor =>
    {
        await Store.SendTestAsync(channel.Id, actor, CancellationToken.None);
        return $"A test message to {channel.Name} is in the outbox; the delivery log shows what became of it.";
    });

    private Task SaveChannelAsync() => ChangeAsync(async actor =>
    {
        var saved = await Settings.SaveChannelAsync(_editing?.Id, _channel.ToInput(), actor, CancellationToken.None);
        NewChannel();
        return $"Channel {saved.Name} saved.";
    });

    private Task DeleteChannelAsync(ChannelView channel) => ChangeAsync(async actor =>
    {
        await Settings.DeleteChannelAsync(channel.Id, actor, CancellationToken.None);
        return $"Channel {channel.Name} deleted, with its rules.";
    });

    private Task AddRuleAsync() => ChangeAsync(async actor =>
    {
        await Settings.SaveRuleAsync(null, _ruleMatcher, _ruleChannel, _ruleRepeat, actor, CancellationToken.None);
        _ruleMatcher = null;
        return "Rule added.";
    });

    private Task DeleteRuleAsync(long id) => ChangeAsync(async actor =>
    {
        await Settings.DeleteRuleAsync(id, actor, CancellationToken.None);
        return "Rule deleted.";
    });

    private Task AddSilenceAsync() => ChangeAsync(async actor =>
    {
        var now = Time.GetUtcNow();
        await Settings.AddSilenceAsync(_silenceMatcher, now, now.AddHours(_silenceHours), _silenceComment, actor, CancellationToken.None);
        _silenceMatcher = null;
        _silenceComment = null;
        return "Silence added.";
    });

    private Task ExpireSilenceAsync(long id) => ChangeAsync(async actor =>
    {
        await Settings.ExpireSilenceAsync(id, actor, CancellationToken.None);
        return "Silence ended.";
    });

    private void Edit(ChannelView channel)
    {
        _editing = channel;
        _channel = ChannelForm.Of(channel);
    }

    private void NewChannel()
    {
        _editing = null;
        _channel = new ChannelForm();
    }

    private async Task DeadOnlyChanged(bool value)
    {
        _deadOnly = value;
        await LoadAsync();
    }

    /// <summary>The channel form's fields; secrets start empty and are never filled from the store.</summary>
    private sealed class ChannelForm
    {
        public string? Name { get; set; }
        public AlertChannelType Type { get; set; }
        public string? Target { get; set; }
        public string? Secret { get; set; }
        public string? SmtpHost { get; set; }
        public int? SmtpPort { get; set; } = 587;
        public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.StartTls;
        public string? SmtpUser { get; set; }
        public string? SmtpPassword { get; set; }
        public string? SmtpFrom { get; set; }
        public int TimeoutSeconds { get; set; } = 10;
        public bool ClearSecrets { get; set; }

        public ChannelInput ToInput() =>
            new(Name, Type, Target, Secret, SmtpHost, SmtpPort, SmtpSecurity, SmtpUser, SmtpPassword, SmtpFrom, TimeoutSeconds, ClearSecrets);

        // A webhook URL is not put back into the form (a Slack or Teams one is the credential): left empty, it is kept.
        public static ChannelForm Of(ChannelView c) => new()
        {
            Name = c.Name, Type = c.Type, Target = c.Type == AlertChannelType.Email ? c.Target : null, SmtpHost = c.SmtpHost,
            SmtpPort = c.SmtpPort, SmtpSecurity = c.SmtpSecurity, SmtpUser = c.SmtpUser, SmtpFrom = c.SmtpFrom, TimeoutSeconds = c.TimeoutSeconds,
        };
    }
}
