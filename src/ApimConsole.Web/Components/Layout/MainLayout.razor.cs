using ApimConsole.Core.Configuration;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;

namespace ApimConsole.Web.Components.Layout;

public partial class MainLayout : IAsyncDisposable
{
    [Inject] public required IOptions<EstateOptions> Estate { get; init; }
    [Inject] public required IJSRuntime JS { get; init; }

    /// <summary>The browser's remembered choice, read from its cookie while prerendering (see <see cref="ThemePreference"/>).</summary>
    [CascadingParameter(Name = nameof(ThemePreference))] public bool? RememberedDarkMode { get; set; }

    private MudThemeProvider? _themeProvider;
    private IJSObjectReference? _themeModule;
    private bool _drawerOpen = true;
    private bool _isDarkMode;
    private bool _interactive;

    private string EstateName => Estate.Value.Name;
    private string ThemeToggleLabel => _isDarkMode ? "Switch to light theme" : "Switch to dark theme";

    protected override void OnInitialized() => _isDarkMode = RememberedDarkMode ?? false;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Runs only once the circuit is interactive (never during prerendering).
        if (!firstRender)
            return;
        if (RememberedDarkMode is null && _themeProvider is not null)
            _isDarkMode = await _themeProvider.GetSystemDarkModeAsync();
        _interactive = true;
        StateHasChanged();
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleThemeAsync()
    {
        _isDarkMode = !_isDarkMode;
        _themeModule ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/theme.js");
        await _themeModule.InvokeVoidAsync("remember", _isDarkMode ? ThemePreference.Dark : ThemePreference.Light);
    }

    public async ValueTask DisposeAsync()
    {
        if (_themeModule is null)
            return;
        try
        {
            await _themeModule.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The browser is gone with its circuit; there is nothing left to release.
        }
    }
}
