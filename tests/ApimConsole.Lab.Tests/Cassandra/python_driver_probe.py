# Connects to a lab Cassandra ring with the DataStax python driver and prints what system.local says.
# Usage: python_driver_probe.py <contact address> <port> [username password]
import sys

try:
    from cassandra.cluster import Cluster
    from cassandra.auth import PlainTextAuthProvider
except ImportError as e:
    print("MISSING-DRIVER: %s" % e)
    sys.exit(3)

address, port = sys.argv[1], int(sys.argv[2])
auth = PlainTextAuthProvider(sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
cluster = Cluster([address], port=port, auth_provider=auth, connect_timeout=5, control_connection_timeout=5)
try:
    session = cluster.connect()
    row = session.execute("SELECT data_center, release_version FROM system.local WHERE key='local'").one()
    prepared = session.prepare("SELECT host_id, rack FROM system.local WHERE key='local'")
    print("prepared_rack=%s" % session.execute(prepared).one().rack)
    print("protocol_version=%d" % cluster.protocol_version)
    print("data_center=%s" % row.data_center)
    print("release_version=%s" % row.release_version)
    print("hosts=%s" % ",".join(sorted("%s:%s/%s" % (h.endpoint.address, h.endpoint.port, "up" if h.is_up else "down")
                                        for h in cluster.metadata.all_hosts())))
finally:
    cluster.shutdown()
