using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>Runs each probe as it is, with no bound or timeout: the probes of these tests answer at once.</summary>
internal sealed class DirectProbeRunner : IProbeRunner
{
    public Task<ProbeResult<TDetails>> RunAsync<TDetails>(Func<CancellationToken, Task<ProbeResult<TDetails>>> probe, TimeSpan? timeout, CancellationToken cancellationToken)
        where TDetails : class => probe(cancellationToken);
}
