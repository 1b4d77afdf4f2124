using System.Runtime.CompilerServices;
using Bunit;

namespace ApimConsole.Web.Tests;

/// <summary>
/// Component tests wait for a condition, never a fixed time; on a loaded 2-core CI machine a render can take longer
/// than bUnit's default second, so the waits may run up to 10 s (a passing test still returns as soon as it holds).
/// </summary>
internal static class BunitDefaults
{
    [ModuleInitializer]
    internal static void Initialize() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);
}
