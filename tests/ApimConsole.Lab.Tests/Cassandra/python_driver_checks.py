# More checks of the lab's CQL nodes with the DataStax python driver (Debian's python3-cassandra).
# Usage:
#   python_driver_checks.py tls <address> <port> <ca.pem> [client.pem]    connect over TLS (ssl.SSLContext), read system.local
#   python_driver_checks.py prepared <address> <port> <peer address>      prepared statements with bind markers on system tables
#   python_driver_checks.py paging <address> <port> <fetch size>          walk system.peers page by page
#   python_driver_checks.py compression <address> <port> <lz4|snappy|none|default> [protocol version]
#                                                                         connect asking for that compression (and
#                                                                         version), say what the connection uses, query
import sys

try:
    import ssl
    from cassandra.cluster import Cluster
    from cassandra.policies import WhiteListRoundRobinPolicy
    from cassandra.query import SimpleStatement
except ImportError as e:
    print("MISSING-DRIVER: %s" % e)
    sys.exit(3)

mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = dict(port=port, connect_timeout=5, control_connection_timeout=5)

if mode == "tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    context.load_verify_locations(sys.argv[4])
    if len(sys.argv) > 5:
        context.load_cert_chain(sys.argv[5])
    options["ssl_context"] = context
if mode == "compression":
    # A string names the one compression to use (the driver fails if the node does not list it); False: none.
    # "default": the driver's defaults (compression=True picks lz4 over snappy; the version is negotiated down).
    if sys.argv[4] != "default":
        options["compression"] = False if sys.argv[4] == "none" else sys.argv[4]
    if len(sys.argv) > 5:
        options["protocol_version"] = int(sys.argv[5])
        # v6 is a beta version: the driver only speaks it when allowed, and then sets USE_BETA on every frame.
        options["allow_beta_protocol_version"] = options["protocol_version"] == 6
if mode == "paging":
    # Only the contact point is connected to: the other peers of this lab exist only in system.peers.
    options["load_balancing_policy"] = WhiteListRoundRobinPolicy([address])
if mode == "prepared":
    # Every statement is asked of the contact point (see below), so only its pool is made, and connect() waits for it:
    # with pools to every peer, a busy machine once had the contact point's pool still opening (host "marked down")
    # when the first statement was sent to it.
    options["load_balancing_policy"] = WhiteListRoundRobinPolicy([address])

# The driver's own warnings (a connection it closed, a host it marked down, and why) go to stderr, into the test's output.
import logging
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


def live(host, within=10.0):
    """The host once the session holds an open pool to it: polls the driver's own state for up to `within` seconds.
    Under a loaded machine the pool to a host was seen still (re)opening when the first statement was sent to it."""
    import time
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if host.is_up and host in session._pools and not session._pools[host].is_shutdown:
            return host
        time.sleep(0.05)
    print("HOST-NOT-LIVE: %s is_up=%s pools=%s" % (host, host.is_up, list(session._pools)), file=sys.stderr)
    return host


cluster = Cluster([address], **options)
try:
    session = cluster.connect()
    if mode == "tls":
        row = session.execute("SELECT data_center, release_version FROM system.local WHERE key='local'").one()
        print("protocol_version=%d" % cluster.protocol_version)
        print("data_center=%s" % row.data_center)
        print("hosts=%s" % ",".join(sorted("%s:%s/%s" % (h.endpoint.address, h.endpoint.port, "up" if h.is_up else "down")
                                            for h in cluster.metadata.all_hosts())))
    elif mode == "prepared":
        peer = sys.argv[4]
        # The partition key is bound, so the driver would route by token, perhaps to the peer itself (whose
        # system.peers does not list it, as on Cassandra): ask the contact point.
        seed = live(cluster.metadata.get_host(address))
        by_peer = session.prepare("SELECT peer, data_center, rack, host_id FROM system.peers WHERE peer = ?")
        print("peers_bind=%s" % ",".join("%s.%s.%s:%s" % (c.keyspace_name, c.table_name, c.name, c.type.typename) for c in by_peer.column_metadata))
        print("peers_routing=%s" % by_peer.routing_key_indexes)
        print("peers_result=%s" % ",".join(c[2] for c in by_peer.result_metadata))
        rows = list(session.execute(by_peer, [peer], host=seed))
        print("peers_rows=%d" % len(rows))
        print("peers_row=%s/%s" % (rows[0].peer, rows[0].rack) if rows else "peers_row=none")
        print("peers_none=%d" % len(list(session.execute(by_peer, ["10.9.9.9"], host=seed))))
        by_key = session.prepare("SELECT key, data_center, rack FROM system.local WHERE key = ?")
        print("local_bind=%s" % ",".join("%s:%s" % (c.name, c.type.typename) for c in by_key.column_metadata))
        row = session.execute(by_key, ["local"]).one()
        print("local_row=%s/%s" % (row.key, row.data_center))
        print("local_other=%d" % len(list(session.execute(by_key, ["remote"]))))
    elif mode == "compression":
        connection = cluster.control_connection._connection
        print("protocol_version=%d" % cluster.protocol_version)
        print("connection_version=%d" % connection.protocol_version)
        print("compression_type=%s" % connection._compression_type)
        print("compressor=%s" % ("on" if connection.compressor else "off"))
        row = session.execute("SELECT data_center, release_version FROM system.local WHERE key='local'").one()
        print("data_center=%s" % row.data_center)
        by_key = session.prepare("SELECT key, rack FROM system.local WHERE key = ?")
        # system.local is each node's own: ask the contact point, not the node the driver would route the key to.
        print("prepared_rack=%s" % session.execute(by_key, ["local"], host=live(cluster.metadata.get_host(address))).one().rack)
        # A request big and repetitive enough that the driver compresses it (it sends small ones as they are on v5).
        print("long_key_rows=%d" % len(list(session.execute(by_key, ["z" * 2000]))))
        peers = SimpleStatement("SELECT peer, host_id FROM system.peers", fetch_size=1)
        print("peers_paged=%d" % len(list(session.execute(peers))))
        print("hosts=%s" % ",".join(sorted("%s:%s/%s" % (h.endpoint.address, h.endpoint.port, "up" if h.is_up else "down")
                                            for h in cluster.metadata.all_hosts())))
    elif mode == "paging":
        statement = SimpleStatement("SELECT peer, host_id FROM system.peers", fetch_size=int(sys.argv[4]))
        result = session.execute(statement)
        seen, pages = [], 0
        while True:
            pages += 1
            seen.extend(str(r.peer) for r in result.current_rows)
            if not result.has_more_pages:
                break
            result.fetch_next_page()
        print("pages=%d" % pages)
        print("rows=%d" % len(seen))
        print("distinct=%d" % len(set(seen)))
        # The same through the driver's own iteration, which fetches the pages as it goes.
        print("iterated=%d" % len(list(session.execute(statement))))
finally:
    cluster.shutdown()
