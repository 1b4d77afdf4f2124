using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>A column type as an [option] (spec section 4.2.5.2), with its parameters for collections.</summary>
public sealed record CqlColumnType(ushort Id, IReadOnlyList<CqlColumnType> Parameters, string? CustomClass = null)
{
    public const ushort Custom = 0x0000, Ascii = 0x0001, BigInt = 0x0002, Blob = 0x0003, Boolean = 0x0004, Counter = 0x0005,
        Int = 0x0009, Timestamp = 0x000B, Uuid = 0x000C, Varchar = 0x000D, TimeUuid = 0x000F, Inet = 0x0010,
        SmallInt = 0x0013, TinyInt = 0x0014, List = 0x0020, Map = 0x0021, Set = 0x0022, Udt = 0x0030, Tuple = 0x0031;

    // Nesting deeper than this is not a schema, it is an attack on the stack.
    private const int MaxDepth = 16;

    public static CqlColumnType Read(ref CqlBodyReader reader, int depth = 0)
    {
        if (depth > MaxDepth)
            throw new CqlProtocolException("malformed frame: column type nested too deeply");
        var id = reader.Short();
        switch (id)
        {
            case Custom:
                return new CqlColumnType(id, [], reader.String());
            case List or Set:
                return new CqlColumnType(id, [Read(ref reader, depth + 1)]);
            case Map:
                var key = Read(ref reader, depth + 1);
                return new CqlColumnType(id, [key, Read(ref reader, depth + 1)]);
            case Udt:
                _ = reader.String();
                var udtName = reader.String();
                var fields = reader.Count(reader.Short(), 4, "UDT field");
                var fieldTypes = new CqlColumnType[fields];
                for (var i = 0; i < fields; i++)
                {
                    _ = reader.String();
                    fieldTypes[i] = Read(ref reader, depth + 1);
                }
                return new CqlColumnType(id, fieldTypes, udtName);
            case Tuple:
                var items = reader.Count(reader.Short(), 2, "tuple item");
                var itemTypes = new CqlColumnType[items];
                for (var i = 0; i < items; i++)
                    itemTypes[i] = Read(ref reader, depth + 1);
                return new CqlColumnType(id, itemTypes);
            case >= Ascii and <= TinyInt when id != 0x000A:
                return new CqlColumnType(id, []);
        }
        throw new CqlProtocolException($"malformed frame: unknown column type 0x{id:X4}");
    }

    /// <summary>
    /// Decodes a cell: text as <see cref="string"/>, uuid as <see cref="Guid"/>, inet as <see cref="IPAddress"/>,
    /// int/bigint/boolean as numbers and bools, list/set as <c>IReadOnlyList&lt;object?&gt;</c>, map as a list of
    /// pairs; anything else stays raw bytes.
    /// </summary>
    public object? Decode(ReadOnlySpan<byte> value, string column)
    {
        switch (Id)
        {
            case Ascii or Varchar:
                return Encoding.UTF8.GetString(value);
            case Uuid or TimeUuid:
                return value.Length == 16 ? new Guid(value, bigEndian: true) : throw Size(column, "uuid", value.Length);
            case Inet:
                return value.Length is 4 or 16 ? new IPAddress(value) : throw Size(column, "inet", value.Length);
            case Int:
                return value.Length == 4 ? BinaryPrimitives.ReadInt32BigEndian(value) : throw Size(column, "int", value.Length);
            case BigInt or Counter or Timestamp:
                return value.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(value) : throw Size(column, "bigint", value.Length);
            case SmallInt:
                return value.Length == 2 ? BinaryPrimitives.ReadInt16BigEndian(value) : throw Size(column, "smallint", value.Length);
            case TinyInt:
                return value.Length == 1 ? (sbyte)value[0] : throw Size(column, "tinyint", value.Length);
            case Boolean:
                return value.Length == 1 ? value[0] != 0 : throw Size(column, "boolean", value.Length);
            case List or Set or Map:
                var reader = new CqlBodyReader(value);
                var pairs = Id == Map;
                var count = reader.Count(reader.Int(), pairs ? 8 : 4, $"collection element in column {column}");
                var items = new List<object?>(count);
                for (var i = 0; i < count; i++)
                {
                    var item = Parameters[0].Decode(reader.Bytes(out var itemNull), column);
                    if (pairs)
                    {
                        var entry = Parameters[1].Decode(reader.Bytes(out var entryNull), column);
                        items.Add(new KeyValuePair<object?, object?>(item, entryNull ? null : entry));
                    }
                    else
                    {
                        items.Add(itemNull ? null : item);
                    }
                }
                return items;
            default:
                return value.ToArray();
        }
    }

    private static CqlProtocolException Size(string column, string type, int length) =>
        new($"malformed frame: {type} value of {length} bytes in column {column}");
}

public sealed record CqlColumnSpec(string Keyspace, string Table, string Name, CqlColumnType Type);

/// <summary>A Rows result (spec section 4.2.5.2), decoded generically.</summary>
public sealed class CqlRows
{
    private const int RowsKind = 0x0002;
    private const int GlobalTablesSpec = 0x0001, HasMorePages = 0x0002, NoMetadata = 0x0004;

    private readonly Dictionary<string, int> _index;

    private CqlRows(IReadOnlyList<CqlColumnSpec> columns, IReadOnlyList<object?[]> rows)
    {
        Columns = columns;
        Rows = rows;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
            _index.TryAdd(columns[i].Name, i);
    }

    public IReadOnlyList<CqlColumnSpec> Columns { get; }

    public IReadOnlyList<object?[]> Rows { get; }

    /// <summary>The value of <paramref name="column"/> in <paramref name="row"/>, or null if it is absent or of another type.</summary>
    public T? Get<T>(object?[] row, string column) where T : class =>
        _index.TryGetValue(column, out var i) ? row[i] as T : null;

    public T? GetValue<T>(object?[] row, string column) where T : struct =>
        _index.TryGetValue(column, out var i) && row[i] is T value ? value : null;

    /// <summary>Parses a RESULT body; anything but a Rows result with metadata is a protocol violation here.</summary>
    public static CqlRows Parse(ReadOnlySpan<byte> resultBody)
    {
        var reader = new CqlBodyReader(resultBody);
        var kind = reader.Int();
        if (kind != RowsKind)
            throw new CqlProtocolException($"malformed frame: expected a Rows result, got result kind 0x{kind:X4}");
        var flags = reader.Int();
        var columnCount = reader.Count(reader.Int(), 4, "column");
        if ((flags & HasMorePages) != 0)
            _ = reader.Bytes(out _);
        if ((flags & NoMetadata) != 0)
            throw new CqlProtocolException("malformed frame: Rows result without metadata although none was skipped");
        string? keyspace = null, table = null;
        if ((flags & GlobalTablesSpec) != 0)
        {
            keyspace = reader.String();
            table = reader.String();
        }
        var columns = new CqlColumnSpec[columnCount];
        for (var i = 0; i < columnCount; i++)
        {
            var ks = keyspace ?? reader.String();
            var tb = table ?? reader.String();
            var name = reader.String();
            columns[i] = new CqlColumnSpec(ks, tb, name, CqlColumnType.Read(ref reader));
        }

        var rowCount = reader.Int();
        // Each cell takes at least its 4-byte length; a row count the body cannot hold is a lie.
        if (rowCount < 0 || (long)rowCount * columnCount * 4 > reader.Remaining)
            throw new CqlProtocolException($"malformed frame: {rowCount} rows of {columnCount} columns do not fit in the {reader.Remaining} bytes left");
        // Rows without columns carry nothing: they are counted, not materialized.
        var rows = new List<object?[]>(columnCount == 0 ? 0 : rowCount);
        for (var r = 0; columnCount > 0 && r < rowCount; r++)
        {
            var row = new object?[columnCount];
            for (var c = 0; c < columnCount; c++)
            {
                var cell = reader.Bytes(out var isNull);
                row[c] = isNull ? null : columns[c].Type.Decode(cell, columns[c].Name);
            }
            rows.Add(row);
        }
        return new CqlRows(columns, rows);
    }
}
