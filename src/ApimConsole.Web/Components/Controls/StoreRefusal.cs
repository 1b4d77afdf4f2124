using ApimConsole.Storage;

namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// What a page says when the console's store refused to record an action (<see cref="ConsoleStoreUnavailableException"/>):
/// that the store is failing and since when (<see cref="ConsoleStoreHealth"/>), what did not happen, and the store's
/// own error. Pages show it instead of letting the exception end the circuit.
/// </summary>
public static class StoreRefusal
{
    /// <param name="outcome">What did not happen, as a sentence: "The deployment was not started. Nothing was pushed."</param>
    public static string Message(ConsoleStoreUnavailableException refusal, ConsoleStoreHealth? health, string outcome)
    {
        var since = health?.Current.FailingSince;
        var problem = StoreWriter.Describe(refusal.InnerException ?? refusal);
        return $"The console's store is failing{(since is null ? "" : $" (since {since.Value:u})")}: {outcome} "
            + $"It could not {refusal.What}: {problem}";
    }
}
