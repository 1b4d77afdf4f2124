using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace ApimConsole.Web.Hosting;

/// <summary>
/// Errors as the caller sees them, the same in every environment: an RFC 7807 ProblemDetails with what the caller can
/// act on (a parameter that cannot be read is named, with the value), and for a fault of the console only its trace
/// id. Never a stack trace, an exception type or a source path: those go to the console's log. The developer exception
/// page that WebApplication adds in Development sits outside <see cref="UseConsoleErrors"/> and never sees an
/// exception; Blazor circuits never send detailed errors to the browser.
/// </summary>
public static class ConsoleErrors
{
    public static IServiceCollection AddConsoleErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            switch (context.Exception)
            {
                case BadHttpRequestException bad:
                    // The framework's words name the parameter and the value ("Failed to bind parameter \"int? count\" from \"abc\".").
                    problem.Title = "Bad request.";
                    problem.Detail = bad.Message;
                    break;
                case null:
                    break;
                default:
                    problem.Title = "The console failed on this request.";
                    problem.Detail = $"Nothing was done that the console did not finish. The error is in the console's log under trace id {context.HttpContext.TraceIdentifier}.";
                    break;
            }
        });
        // A query or route value that cannot be bound throws (and so becomes a ProblemDetails naming it) in every environment.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.PostConfigure<CircuitOptions>(o => o.DetailedErrors = false);
        return services;
    }

    public static IApplicationBuilder UseConsoleErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            // A request the caller got wrong is not the console's fault: no error log with a stack for it.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
}
