using System.Text.RegularExpressions;

namespace ApimConsole.Lab.Cassandra;

internal sealed record CqlColumn(string Name, CqlType Type);

internal sealed record CqlTable(string Keyspace, string Name, IReadOnlyList<CqlColumn> Columns)
{
    /// <summary>The partition key columns, in order; the first column when not given.</summary>
    public IReadOnlyList<string> PartitionKey { get; init; } = [Columns[0].Name];

    public CqlColumn? Find(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>What a statement produced: rows of a table, or a keyspace switch (<c>USE</c>).</summary>
internal abstract record CqlStatementResult;

/// <param name="Markers">The columns the statement's bind markers (<c>?</c>) stand for, in order.</param>
/// <param name="PartitionKeyMarkers">For each partition key column, the index of its marker; empty unless every one is bound.</param>
internal sealed record CqlRowsResult(CqlTable Table, IReadOnlyList<CqlColumn> Columns, IReadOnlyList<object?[]> Rows) : CqlStatementResult
{
    public IReadOnlyList<CqlColumn> Markers { get; init; } = [];
    public IReadOnlyList<short> PartitionKeyMarkers { get; init; } = [];
}

internal sealed record CqlSetKeyspaceResult(string Keyspace) : CqlStatementResult;

/// <summary>
/// The system tables a lab node answers from: <c>system.local</c>, <c>system.peers</c>, <c>system.peers_v2</c> (4.0+
/// release versions only, as in a real 3.x node) with rows from the node's identity, and the schema tables drivers
/// read on connect, with their real columns and no rows. Statements are matched, not parsed: the lab only needs
/// <c>SELECT cols FROM table [WHERE col = value [AND ...]] [LIMIT n]</c> and <c>USE keyspace</c>.
/// </summary>
internal static partial class CqlSystemTables
{
    public const string Partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
    public const string CqlVersion = "3.4.5";
    private const int StoragePort = 7000;

    private static CqlColumn C(string name, CqlType type) => new(name, type);

    public static readonly CqlTable Local = new("system", "local",
    [
        C("key", CqlType.Text), C("bootstrapped", CqlType.Text), C("broadcast_address", CqlType.Inet),
        C("broadcast_port", CqlType.Int), C("cluster_name", CqlType.Text), C("cql_version", CqlType.Text),
        C("data_center", CqlType.Text), C("gossip_generation", CqlType.Int), C("host_id", CqlType.Uuid),
        C("listen_address", CqlType.Inet), C("listen_port", CqlType.Int), C("native_protocol_version", CqlType.Text),
        C("partitioner", CqlType.Text), C("rack", CqlType.Text), C("release_version", CqlType.Text),
        C("rpc_address", CqlType.Inet), C("rpc_port", CqlType.Int), C("schema_version", CqlType.Uuid),
        C("tokens", CqlType.SetOfText), C("truncated_at", CqlType.MapOfUuidBlob),
    ]);

    public static readonly CqlTable Peers = new("system", "peers",
    [
        C("peer", CqlType.Inet), C("data_center", CqlType.Text), C("host_id", CqlType.Uuid),
        C("preferred_ip", CqlType.Inet), C("rack", CqlType.Text), C("release_version", CqlType.Text),
        C("rpc_address", CqlType.Inet), C("schema_version", CqlType.Uuid), C("tokens", CqlType.SetOfText),
    ]);

    public static readonly CqlTable PeersV2 = new("system", "peers_v2",
    [
        C("peer", CqlType.Inet), C("peer_port", CqlType.Int), C("data_center", CqlType.Text),
        C("host_id", CqlType.Uuid), C("native_address", CqlType.Inet), C("native_port", CqlType.Int),
        C("preferred_ip", CqlType.Inet), C("preferred_port", CqlType.Int), C("rack", CqlType.Text),
        C("release_version", CqlType.Text), C("schema_version", CqlType.Uuid), C("tokens", CqlType.SetOfText),
    ]) { PartitionKey = ["peer", "peer_port"] };

    // Schema tables: the columns of Cassandra 4.0, always empty in the lab.
    private static readonly CqlTable[] SchemaTables =
    [
        new("system_schema", "keyspaces", [C("keyspace_name", CqlType.Text), C("durable_writes", CqlType.Boolean), C("replication", CqlType.MapOfTextText)]),
        new("system_schema", "tables", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("comment", CqlType.Text), C("flags", CqlType.SetOfText), C("id", CqlType.Uuid)]),
        new("system_schema", "columns", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("column_name", CqlType.Text), C("clustering_order", CqlType.Text), C("column_name_bytes", CqlType.Blob), C("kind", CqlType.Text), C("position", CqlType.Int), C("type", CqlType.Text)]),
        new("system_schema", "dropped_columns", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("column_name", CqlType.Text), C("dropped_time", CqlType.Timestamp), C("kind", CqlType.Text), C("type", CqlType.Text)]),
        new("system_schema", "types", [C("keyspace_name", CqlType.Text), C("type_name", CqlType.Text), C("field_names", CqlType.ListOfText), C("field_types", CqlType.ListOfText)]),
        new("system_schema", "functions", [C("keyspace_name", CqlType.Text), C("function_name", CqlType.Text), C("argument_types", CqlType.ListOfText), C("argument_names", CqlType.ListOfText), C("body", CqlType.Text), C("called_on_null_input", CqlType.Boolean), C("language", CqlType.Text), C("return_type", CqlType.Text)]),
        new("system_schema", "aggregates", [C("keyspace_name", CqlType.Text), C("aggregate_name", CqlType.Text), C("argument_types", CqlType.ListOfText), C("final_func", CqlType.Text), C("initcond", CqlType.Text), C("return_type", CqlType.Text), C("state_func", CqlType.Text), C("state_type", CqlType.Text)]),
        new("system_schema", "indexes", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("index_name", CqlType.Text), C("kind", CqlType.Text), C("options", CqlType.MapOfTextText)]),
        new("system_schema", "triggers", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("trigger_name", CqlType.Text), C("options", CqlType.MapOfTextText)]),
        new("system_schema", "views", [C("keyspace_name", CqlType.Text), C("view_name", CqlType.Text), C("base_table_id", CqlType.Uuid), C("base_table_name", CqlType.Text), C("include_all_columns", CqlType.Boolean), C("where_clause", CqlType.Text)]),
        new("system_virtual_schema", "keyspaces", [C("keyspace_name", CqlType.Text)]),
        new("system_virtual_schema", "tables", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("comment", CqlType.Text)]),
        new("system_virtual_schema", "columns", [C("keyspace_name", CqlType.Text), C("table_name", CqlType.Text), C("column_name", CqlType.Text), C("clustering_order", CqlType.Text), C("column_name_bytes", CqlType.Blob), C("kind", CqlType.Text), C("position", CqlType.Int), C("type", CqlType.Text)]),
    ];

    private static readonly HashSet<string> Keyspaces = new(StringComparer.Ordinal)
    {
        "system", "system_schema", "system_auth", "system_distributed", "system_traces", "system_virtual_schema", "system_views",
    };

    [GeneratedRegex(@"^\s*SELECT\s+(?<columns>.+?)\s+FROM\s+(?<table>[\w"".]+)(?:\s+WHERE\s+(?<where>.+?))?(?:\s+LIMIT\s+(?<limit>\d+))?(?:\s+ALLOW\s+FILTERING)?\s*;?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex SelectStatement();

    [GeneratedRegex(@"^\s*USE\s+(?<keyspace>[\w""]+)\s*;?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UseStatement();

    [GeneratedRegex(@"^\s*(?<column>[\w""]+)\s*=\s*(?:'(?<text>[^']*)'|(?<bare>[^\s']+))\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EqualityRestriction();

    [GeneratedRegex(@"\s+AND\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex And();

    /// <summary>Runs <paramref name="statement"/> against the node's view; throws <see cref="CqlRequestException"/> on anything else.</summary>
    /// <param name="values">
    /// The values of the statement's bind markers (<c>col = ?</c>), in order, as sent ([value]: null for a null).
    /// Null: the statement is being prepared, markers are not bound and restrict nothing.
    /// </param>
    public static CqlStatementResult Execute(string statement, string? keyspace, CqlNodeIdentity self, IReadOnlyList<CqlNodeIdentity> peers, DateTimeOffset startedAt,
        IReadOnlyList<byte[]?>? values = null)
    {
        var use = UseStatement().Match(statement);
        if (use.Success)
        {
            var name = Unquote(use.Groups["keyspace"].Value);
            if (!Keyspaces.Contains(name))
                throw new CqlRequestException(CqlErrorCode.Invalid, $"Keyspace '{name}' does not exist");
            return new CqlSetKeyspaceResult(name);
        }

        var select = SelectStatement().Match(statement);
        if (!select.Success)
            throw new CqlRequestException(CqlErrorCode.Invalid, "The lab node only answers SELECT on system tables and USE");

        var tableName = select.Groups["table"].Value.Split('.');
        var (ks, table) = tableName.Length switch
        {
            1 => (keyspace ?? throw new CqlRequestException(CqlErrorCode.Invalid, "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename"), Unquote(tableName[0])),
            2 => (Unquote(tableName[0]), Unquote(tableName[1])),
            _ => throw new CqlRequestException(CqlErrorCode.SyntaxError, $"line 1: no viable table name '{select.Groups["table"].Value}'"),
        };

        var release = ReleaseMajor(self.ReleaseVersion);
        var definition = (ks, table) switch
        {
            ("system", "local") => Local,
            ("system", "peers") => Peers,
            ("system", "peers_v2") when release >= 4 => PeersV2,
            _ => SchemaTables.FirstOrDefault(t => t.Keyspace == ks && t.Name == table),
        };
        if (definition is null)
            throw new CqlRequestException(CqlErrorCode.Invalid, $"unconfigured table {table}");

        var columns = SelectedColumns(select.Groups["columns"].Value, definition);
        IEnumerable<Dictionary<string, object?>> rows = definition.Name switch
        {
            "local" when definition.Keyspace == "system" => [LocalRow(self, startedAt)],
            "peers" when definition.Keyspace == "system" => peers.Where(p => p.HostId != self.HostId).Select(PeerRow),
            "peers_v2" when definition.Keyspace == "system" => peers.Where(p => p.HostId != self.HostId).Select(PeerV2Row),
            _ => [],
        };

        var markers = new List<CqlColumn>();
        if (select.Groups["where"].Success)
            rows = Restrict(rows, select.Groups["where"].Value, definition, markers, values);
        if (values is not null && values.Count != markers.Count)
            throw new CqlRequestException(CqlErrorCode.Invalid, $"There were {markers.Count} markers(?) in CQL but {values.Count} bound variables");
        if (select.Groups["limit"].Success && int.TryParse(select.Groups["limit"].Value, out var limit))
            rows = rows.Take(limit);

        var result = rows.Select(row => columns.Select(c => row.GetValueOrDefault(c.Name)).ToArray()).ToList();
        // As Cassandra: the partition key's marker indexes, only when the markers bind every partition key column.
        var keyMarkers = definition.PartitionKey.Select(k => (short)markers.FindIndex(m => m.Name == k)).ToList();
        return new CqlRowsResult(definition, columns, result)
        {
            Markers = markers,
            PartitionKeyMarkers = keyMarkers.Any(i => i < 0) ? [] : keyMarkers,
        };
    }

    private static int ReleaseMajor(string releaseVersion)
    {
        var dot = releaseVersion.IndexOf('.');
        return int.TryParse(dot < 0 ? releaseVersion : releaseVersion[..dot], out var major) ? major : 0;
    }

    private static string Unquote(string name) =>
        name.Length >= 2 && name[0] == '"' && name[^1] == '"' ? name[1..^1] : name.ToLowerInvariant();

    private static IReadOnlyList<CqlColumn> SelectedColumns(string list, CqlTable table)
    {
        if (list.Trim() == "*")
            return table.Columns;
        var columns = new List<CqlColumn>();
        foreach (var part in list.Split(','))
        {
            var words = part.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var name = words.Length > 0 ? Unquote(words[0]) : "";
            var aliased = words.Length == 3 && words[1].Equals("as", StringComparison.OrdinalIgnoreCase);
            if (words.Length != 1 && !aliased)
                throw new CqlRequestException(CqlErrorCode.SyntaxError, $"line 1: unexpected selector '{part.Trim()}'");
            var column = table.Find(name)
                ?? throw new CqlRequestException(CqlErrorCode.Invalid, $"Undefined column name {name} in table {table.Keyspace}.{table.Name}");
            // "col AS alias" keeps the column, renamed.
            columns.Add(aliased ? column with { Name = Unquote(words[2]) } : column);
        }
        return columns;
    }

    private static IEnumerable<Dictionary<string, object?>> Restrict(IEnumerable<Dictionary<string, object?>> rows, string where, CqlTable table,
        List<CqlColumn> markers, IReadOnlyList<byte[]?>? values)
    {
        foreach (var condition in And().Split(where))
        {
            var match = EqualityRestriction().Match(condition);
            if (!match.Success)
                throw new CqlRequestException(CqlErrorCode.Invalid, $"The lab node only supports equality restrictions, not '{condition}'");
            var name = Unquote(match.Groups["column"].Value);
            var column = table.Find(name)
                ?? throw new CqlRequestException(CqlErrorCode.Invalid, $"Undefined column name {name} in table {table.Keyspace}.{table.Name}");
            string? wanted;
            if (!match.Groups["text"].Success && match.Groups["bare"].Value == "?")
            {
                var index = markers.Count;
                markers.Add(column);
                if (values is null)
                    continue;
                if (index >= values.Count)
                    continue; // counted and refused by the caller
                wanted = values[index] is { } bytes
                    ? Format(column.Type.ReadValue(bytes))
                    : throw new CqlRequestException(CqlErrorCode.Invalid, $"Invalid null value in condition for column {name}");
            }
            else
            {
                wanted = match.Groups["text"].Success ? match.Groups["text"].Value : match.Groups["bare"].Value;
            }
            rows = rows.Where(row => string.Equals(Format(row.GetValueOrDefault(name)), wanted, StringComparison.OrdinalIgnoreCase));
        }
        return rows;
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        Guid guid => guid.ToString("D"),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>One token per node, derived from its host id, so the Murmur3 ring a driver builds is stable.</summary>
    public static IReadOnlyList<object> Tokens(CqlNodeIdentity node) =>
        [BitConverter.ToInt64(node.HostId.ToByteArray()).ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static Dictionary<string, object?> LocalRow(CqlNodeIdentity self, DateTimeOffset startedAt) => new()
    {
        ["key"] = "local",
        ["bootstrapped"] = "COMPLETED",
        ["broadcast_address"] = self.Address,
        ["broadcast_port"] = StoragePort,
        ["cluster_name"] = self.ClusterName,
        ["cql_version"] = CqlVersion,
        ["data_center"] = self.DataCenter,
        ["gossip_generation"] = (int)startedAt.ToUnixTimeSeconds(),
        ["host_id"] = self.HostId,
        ["listen_address"] = self.Address,
        ["listen_port"] = StoragePort,
        // ProtocolVersion.CURRENT of a 4.0 node: v5, the highest the lab speaks too.
        ["native_protocol_version"] = "5",
        ["partitioner"] = Partitioner,
        ["rack"] = self.Rack,
        ["release_version"] = self.ReleaseVersion,
        ["rpc_address"] = self.Address,
        ["rpc_port"] = self.NativePort,
        ["schema_version"] = self.SchemaVersion,
        ["tokens"] = Tokens(self),
        ["truncated_at"] = null,
    };

    private static Dictionary<string, object?> PeerRow(CqlNodeIdentity peer) => new()
    {
        ["peer"] = peer.Address,
        ["data_center"] = peer.DataCenter,
        ["host_id"] = peer.HostId,
        ["preferred_ip"] = null,
        ["rack"] = peer.Rack,
        ["release_version"] = peer.ReleaseVersion,
        ["rpc_address"] = peer.Address,
        ["schema_version"] = peer.SchemaVersion,
        ["tokens"] = Tokens(peer),
    };

    private static Dictionary<string, object?> PeerV2Row(CqlNodeIdentity peer) => new()
    {
        ["peer"] = peer.Address,
        ["peer_port"] = StoragePort,
        ["data_center"] = peer.DataCenter,
        ["host_id"] = peer.HostId,
        ["native_address"] = peer.Address,
        ["native_port"] = peer.NativePort,
        ["preferred_ip"] = null,
        ["preferred_port"] = null,
        ["rack"] = peer.Rack,
        ["release_version"] = peer.ReleaseVersion,
        ["schema_version"] = peer.SchemaVersion,
        ["tokens"] = Tokens(peer),
    };
}
