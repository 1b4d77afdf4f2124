namespace ApimConsole.Monitoring.Gateways;

/// <summary>
/// <c>GET /healthcheck</c> on a gateway's traffic port, as the load balancer does: healthy means 200 with
/// <c>&lt;status&gt;ok&lt;/status&gt;</c>.
/// </summary>
public sealed class GatewayHealthProbe(HttpClient http)
{
    public async Task<ProbeOutcome> ProbeAsync(Uri healthUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(healthUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
                return ProbeOutcome.Failed($"healthcheck answered {(int)response.StatusCode}");
            var body = await AdminNodeManager.AdminNodeManagerClient.ReadBoundedAsync(response.Content, 4096, cancellationToken, truncate: true);
            return body.Contains("<status>ok</status>", StringComparison.OrdinalIgnoreCase)
                ? ProbeOutcome.Ok
                : ProbeOutcome.Failed("healthcheck did not say <status>ok</status>");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ProbeOutcome.Failed(ProbeOutcome.Describe(ex));
        }
    }
}
