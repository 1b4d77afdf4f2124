using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ApimConsole.Storage.Providers;

/// <summary>
/// Stores a <see cref="DateTimeOffset"/> as its UTC ticks, so that SQLite compares and sorts integers in instant
/// order. EF's own DateTimeOffsetToBinaryConverter encodes the local clock time and so sorts 10:00+02:00 after
/// 09:00Z. The offset is not kept: the console's records are read back in UTC.
/// </summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
