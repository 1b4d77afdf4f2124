using System.Globalization;

namespace ApimConsole.Lab.Gateways;

/// <summary>
/// One line of a gateway trace, in the 7.7 format. <see cref="CorrelationId"/> null writes the documented form without
/// one, <c>[thread]</c>, as the gateway does for lines of its own (start-up, listeners).
/// </summary>
public sealed record TraceLine(string Level, DateTimeOffset Time, string Thread, string? CorrelationId, string Text, int Depth)
{
    /// <summary>The correlation id of lines written outside any transaction.</summary>
    public const string NoCorrelation = "000000000000000000000000";

    /// <summary>
    /// <c>INFO    15/Sep/2020:10:46:33.426 [455a:697f605fdb408a78c01cc73e] message</c>, or <c>[455a]</c> without a
    /// correlation id. The time has no zone, as on a real gateway; the lab's gateways write UTC (not this machine's
    /// zone), which is what a console without <c>Logs:TimeZone</c> assumes.
    /// </summary>
    public string Format() =>
        $"{Level,-8}{Time.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss.fff", CultureInfo.InvariantCulture)} [{(CorrelationId is null ? Thread : Thread + ":" + CorrelationId)}] {new string(' ', Depth * 4)}{Text}";
}

/// <summary>One leg-0 transaction as the traffic monitor records it.</summary>
public sealed record GatewayTransaction(
    string CorrelationId,
    DateTimeOffset Timestamp,
    long DurationMs,
    int Status,
    string Method,
    string Uri,
    string ServiceName,
    string Operation,
    string RemoteAddr,
    long BytesSent,
    long BytesReceived,
    string FinalStatus,
    int Leg,
    IReadOnlyList<TraceLine> Trace);
