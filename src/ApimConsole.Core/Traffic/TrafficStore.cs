namespace ApimConsole.Core.Traffic;

/// <summary>
/// Where the roll-ups and the coverage outlive the process (implemented over EF Core in ApimConsole.Storage). Cells
/// added for a key that is already stored are merged into it: a minute's late transactions add to what it has.
/// </summary>
public interface ITrafficStore
{
    Task AddCellsAsync(IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells, CancellationToken cancellationToken);

    /// <summary>Saves spans by (datacenter, start): a span already stored with that start gets the new end.</summary>
    Task SaveCoverageAsync(IReadOnlyList<CoverageSpan> spans, CancellationToken cancellationToken);

    /// <summary>Every cell of a minute at or after <paramref name="from"/>, streamed.</summary>
    IAsyncEnumerable<TrafficCell> ReadCellsAsync(DateTimeOffset from, CancellationToken cancellationToken);

    Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken);

    /// <summary>Deletes cells of minutes before <paramref name="before"/> and spans that ended before it; returns rows deleted.</summary>
    Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>How the traffic collector works, bound from <c>Traffic</c>.</summary>
public sealed class TrafficOptions
{
    public const string SectionName = "Traffic";

    /// <summary>Time between polls of each datacenter.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far back each poll reaches before the previous one: the traffic monitor records a transaction when it
    /// completes but dates it by its start, so one that started before the last poll may appear only now.
    /// </summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a single call to an ANM may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Transactions asked of one instance per poll (the traffic monitor's maximum is 1000).</summary>
    public int MaxTransactionsPerPoll { get; set; } = 1000;

    /// <summary>Instances of one datacenter polled at once.</summary>
    public int ConcurrencyPerDatacenter { get; set; } = 4;

    /// <summary>Time between writes of the roll-ups to the store.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between reads of each instance's 10-minute monitoring timeline.</summary>
    public TimeSpan TimelineInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Recent transactions kept in memory for search.</summary>
    public int RecentTransactions { get; set; } = Traffic.RecentTransactions.DefaultCapacity;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(5))
            errors.Add($"Traffic:PollInterval must be between 100 ms and 5 minutes (found {PollInterval}).");
        if (Overlap < TimeSpan.Zero || Overlap > TimeSpan.FromMinutes(5))
            errors.Add($"Traffic:Overlap must be between 0 and 5 minutes (found {Overlap}).");
        if (RequestTimeout < TimeSpan.FromMilliseconds(50) || RequestTimeout > TimeSpan.FromMinutes(1))
            errors.Add($"Traffic:RequestTimeout must be between 50 ms and 1 minute (found {RequestTimeout}).");
        if (MaxTransactionsPerPoll is < 1 or > 1000)
            errors.Add($"Traffic:MaxTransactionsPerPoll must be between 1 and 1000 (found {MaxTransactionsPerPoll}).");
        if (ConcurrencyPerDatacenter is < 1 or > 64)
            errors.Add($"Traffic:ConcurrencyPerDatacenter must be between 1 and 64 (found {ConcurrencyPerDatacenter}).");
        if (FlushInterval < TimeSpan.FromMilliseconds(100) || FlushInterval > TimeSpan.FromMinutes(10))
            errors.Add($"Traffic:FlushInterval must be between 100 ms and 10 minutes (found {FlushInterval}).");
        if (TimelineInterval < TimeSpan.FromSeconds(1) || TimelineInterval > TimeSpan.FromHours(1))
            errors.Add($"Traffic:TimelineInterval must be between 1 second and 1 hour (found {TimelineInterval}).");
        if (RecentTransactions is < 100 or > 5_000_000)
            errors.Add($"Traffic:RecentTransactions must be between 100 and 5000000 (found {RecentTransactions}).");
        return errors;
    }
}
