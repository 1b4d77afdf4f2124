using System.Buffers.Binary;
using System.Text;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>
/// Reads a response body with bounds checks: every length is checked against what is left before it is used, so a
/// hostile length can only fail, never allocate.
/// </summary>
public ref struct CqlBodyReader(ReadOnlySpan<byte> body)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _position;

    public readonly int Remaining => _body.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining)
            throw new CqlProtocolException($"malformed frame: {what} needs {count} bytes, {Remaining} left in the body");
        var span = _body.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte Byte() => Take(1, "[byte]")[0];

    public ushort Short() => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "[short]"));

    public int Int() => BinaryPrimitives.ReadInt32BigEndian(Take(4, "[int]"));

    public string String() => Encoding.UTF8.GetString(Take(Short(), "[string]"));

    public string LongString() => Encoding.UTF8.GetString(Take(Int(), "[long string]"));

    public ReadOnlySpan<byte> ShortBytes() => Take(Short(), "[short bytes]");

    /// <summary>[bytes]: a negative length is null, reported through <paramref name="isNull"/>.</summary>
    public ReadOnlySpan<byte> Bytes(out bool isNull)
    {
        var length = Int();
        isNull = length < 0;
        return isNull ? [] : Take(length, "[bytes]");
    }

    public Guid Uuid() => new(Take(16, "[uuid]"), bigEndian: true);

    /// <summary>A count of items that each need at least <paramref name="minItemBytes"/>: a bigger count cannot be honest.</summary>
    public int Count(int count, int minItemBytes, string what)
    {
        if (count < 0 || (long)count * minItemBytes > Remaining)
            throw new CqlProtocolException($"malformed frame: {what} count {count} does not fit in the {Remaining} bytes left");
        return count;
    }

    public IReadOnlyList<string> StringList()
    {
        var count = Count(Short(), 2, "[string list]");
        var list = new string[count];
        for (var i = 0; i < count; i++)
            list[i] = String();
        return list;
    }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> StringMultimap()
    {
        var count = Count(Short(), 4, "[string multimap]");
        var map = new Dictionary<string, IReadOnlyList<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            map[String()] = StringList();
        return map;
    }

    public void SkipBytesMap()
    {
        var count = Count(Short(), 6, "[bytes map]");
        for (var i = 0; i < count; i++)
        {
            _ = String();
            _ = Bytes(out _);
        }
    }

    public CqlError Error() => new(Int(), String());
}
