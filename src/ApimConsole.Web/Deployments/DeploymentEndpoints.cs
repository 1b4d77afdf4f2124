using ApimConsole.Web.Security;
using ApimConsole.Storage;
using ApimConsole.Web.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// <c>POST /api/deployments</c> (multipart: <c>kind</c>, <c>group</c>, the file(s), optional <c>overrideReason</c> and
/// <c>confirmWarnings</c>): 201 with the stored deployment (Pending; it runs in the background, poll
/// <c>GET /api/deployments/{id}</c>), 400 for bad input, 409 when the guardrail warns and the warnings were not
/// confirmed, 423 when it blocks, 403 when an override is asked for by someone who may not override.
/// <c>GET /api/deployments</c>, <c>GET /api/deployments/{id}</c>, and <c>GET /api/deployments/versions</c> (deployed
/// archives per instance and drift).
/// </summary>
public static class DeploymentEndpoints
{
    public static IEndpointRouteBuilder MapDeploymentApi(this IEndpointRouteBuilder endpoints)
    {
        var limits = endpoints.ServiceProvider.GetRequiredService<IOptions<DeploymentOptions>>().Value.Limits;
        endpoints.MapPost("/api/deployments", PostAsync)
            // An API for scripts, not a browser form: no antiforgery token, the body is read and bounded here.
            .DisableAntiforgery()
            // Room for the multipart framing around the largest upload allowed; beyond it the server stops reading.
            .WithMetadata(new RequestSizeLimitAttribute(limits.MaxUploadBytes + (1 << 20)))
            .WithName("PostDeployment")
            .RequireAuthorization(ConsolePolicies.Administrator);
        endpoints.MapGet("/api/deployments", async (DeploymentStore store, int? count, CancellationToken ct) =>
            {
                if (count is < 1 or > 500)
                    return Results.Json(new { error = "count must be between 1 and 500." }, EstateJson.Options, statusCode: 400);
                var list = await store.RecentAsync(count ?? 50, ct);
                return Results.Json(new { deployments = list.Select(DeploymentJson.Of) }, EstateJson.Options);
            })
            .WithName("GetDeployments")
            .RequireAuthorization(ConsolePolicies.Support);
        endpoints.MapGet("/api/deployments/{id:long}", async (long id, DeploymentStore store, CancellationToken ct) =>
                await store.GetAsync(id, ct) is { } deployment
                    ? Results.Json(DeploymentJson.Of(deployment), EstateJson.Options)
                    : Results.Json(new { error = $"No deployment {id}." }, EstateJson.Options, statusCode: 404))
            .WithName("GetDeployment")
            .RequireAuthorization(ConsolePolicies.Support);
        endpoints.MapGet("/api/deployments/versions", async (DeployedVersionsReader reader, CancellationToken ct) =>
                Results.Json(await reader.ReadAsync(ct), EstateJson.Options))
            .WithName("GetDeployedVersions")
            .RequireAuthorization(ConsolePolicies.Support);
        return endpoints;
    }

    private static async Task<IResult> PostAsync(HttpContext context, DeploymentRequests requests, IOptions<DeploymentOptions> options)
    {
        var cancellationToken = context.RequestAborted;
        if (!context.Request.HasFormContentType)
            return BadRequest("Send multipart/form-data with kind, group and the file(s).");
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = options.Value.Limits.MaxUploadBytes + (1 << 20) }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            var tooLarge = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            return BadRequest(tooLarge
                ? $"The upload is over the size limit of {options.Value.Limits.MaxUploadBytes} bytes."
                : $"The upload could not be read: {ex.Message}");
        }

        var confirmText = form["confirmWarnings"].ToString();
        bool confirm = false;
        if (confirmText.Length > 0 && !bool.TryParse(confirmText, out confirm))
            return BadRequest("confirmWarnings must be true or false.");

        var streams = form.Files.Select(f => (f.FileName, f.OpenReadStream())).ToList();
        try
        {
            var submission = new DeploymentSubmission(form["kind"].ToString(), form["group"].ToString(),
                streams.Select(s => (s.FileName, (Stream)s.Item2)).ToList(), form["overrideReason"].ToString(), confirm, context.User);
            var result = await requests.SubmitAsync(submission, cancellationToken);
            if (result is SubmissionResult.Accepted accepted)
                context.Response.Headers.Location = $"/api/deployments/{accepted.Deployment.Id}";
            return result switch
            {
                SubmissionResult.Accepted a => Results.Json(DeploymentJson.Of(a.Deployment), EstateJson.Options, statusCode: 201),
                SubmissionResult.Invalid i => BadRequest(i.Problem),
                SubmissionResult.NeedsConfirmation n => Results.Json(new
                {
                    error = "The guardrail warns about this deployment. Send confirmWarnings=true to deploy anyway.",
                    decision = n.Verdict.Decision,
                    warnings = n.Verdict.Reasons,
                    asOf = n.Verdict.AsOf,
                }, EstateJson.Options, statusCode: 409),
                SubmissionResult.Blocked b => Results.Json(new
                {
                    error = b.Message,
                    decision = b.Verdict.Decision,
                    reasons = b.Verdict.Reasons,
                    asOf = b.Verdict.AsOf,
                    overrideAllowed = b.OverrideAllowed,
                }, EstateJson.Options, statusCode: 423),
                SubmissionResult.OverrideRefused r => Results.Json(new { error = r.Problem }, EstateJson.Options, statusCode: 403),
                SubmissionResult.NotAllowed r => Results.Json(new { error = r.Problem }, EstateJson.Options, statusCode: 403),
                SubmissionResult.PeerBusy p => Results.Json(new
                {
                    error = p.Message,
                    peer = p.PeerDatacenter,
                    peerDeployment = p.PeerDeployment,
                }, EstateJson.Options, statusCode: 409),
                _ => throw new InvalidOperationException("Unknown submission result."),
            };
        }
        finally
        {
            foreach (var (_, stream) in streams)
                await stream.DisposeAsync();
        }
    }

    private static IResult BadRequest(string problem) => Results.Json(new { error = problem }, EstateJson.Options, statusCode: 400);
}
