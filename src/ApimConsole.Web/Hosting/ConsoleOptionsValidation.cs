using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Hosting;

/// <summary>
/// Adapts one of <see cref="ApimConsole.Core.Configuration.ConsoleOptionsValidator"/>'s checks to the options
/// pipeline, so that <c>ValidateOnStart</c> stops the host with every message at once.
/// </summary>
internal sealed class ConsoleOptionsValidation<TOptions>(Func<TOptions, IReadOnlyList<string>> validate)
    : IValidateOptions<TOptions> where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var errors = validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
